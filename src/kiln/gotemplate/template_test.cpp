#include "kiln/gotemplate/template.hpp"

#include <gtest/gtest.h>

namespace kiln::gotemplate {
namespace {

const char* k_doc = R"({"Id":"sha256:abc","RepoTags":["a:1","b:2"],"Size":2126336,
  "Config":{"Env":["A=1","B=2"],"Cmd":null,"Labels":{"x":"1","y":"2"},"Tty":false},
  "Empty":[]})";

std::string render(const std::string& t) {
  auto p = Template::parse(t);
  if (!p) return "PARSE: " + p.error().message();
  auto r = p->render(k_doc);
  if (!r) return "EXEC: " + r.error().message();
  return *r;
}

TEST(Template, FieldsAndGoPrinting) {
  EXPECT_EQ(render("{{.Id}}"), "sha256:abc");
  EXPECT_EQ(render("{{.Config.Env}}"), "[A=1 B=2]");
  EXPECT_EQ(render("{{.Config.Labels}}"), "map[x:1 y:2]");
  EXPECT_EQ(render("{{.Config.Cmd}}"), "<nil>");
  EXPECT_EQ(render("{{.Config.Tty}} {{.Size}}"), "false 2126336");
  EXPECT_EQ(render("{{.Nope}}"), "<no value>");
  EXPECT_EQ(render("size={{ .Size }}\n"), "size=2126336\n");
}

TEST(Template, Functions) {
  EXPECT_EQ(render("{{json .Config.Env}}"), R"(["A=1","B=2"])");
  EXPECT_EQ(render("{{json .Config.Cmd}}"), "null");
  EXPECT_EQ(render("{{.Config.Env | json}}"), R"(["A=1","B=2"])");
  EXPECT_EQ(render(R"({{index .Config.Labels "y"}})"), "2");
  EXPECT_EQ(render("{{index .RepoTags 1}}"), "b:2");
  EXPECT_EQ(render("{{len .RepoTags}}"), "2");
  EXPECT_EQ(render(R"({{join .RepoTags ", "}})"), "a:1, b:2");
  EXPECT_EQ(render("{{upper .Id}}"), "SHA256:ABC");
  EXPECT_EQ(render(R"({{index (split .Id ":") 1}})"), "abc");
  EXPECT_EQ(render("{{println .Id}}"), "sha256:abc\n");
}

TEST(Template, RangeIfWith) {
  EXPECT_EQ(render("{{range .RepoTags}}<{{.}}>{{end}}"), "<a:1><b:2>");
  EXPECT_EQ(render("{{range $i, $t := .RepoTags}}{{$i}}={{$t}} {{end}}"), "0=a:1 1=b:2 ");
  EXPECT_EQ(render("{{range $k, $v := .Config.Labels}}{{$k}}{{$v}}{{end}}"), "x1y2");
  EXPECT_EQ(render("{{range .Empty}}x{{else}}none{{end}}"), "none");
  EXPECT_EQ(render("{{if .Config.Cmd}}cmd{{else}}no cmd{{end}}"), "no cmd");
  EXPECT_EQ(render("{{if .Config.Tty}}a{{else if .Size}}b{{else}}c{{end}}"), "b");
  EXPECT_EQ(render("{{with .Config}}{{len .Env}}{{end}}"), "2");
  EXPECT_EQ(render("{{if eq .Id \"sha256:abc\"}}same{{end}}"), "same");
  EXPECT_EQ(render("a  {{- .Size -}}  b"), "a2126336b");
  EXPECT_EQ(render("{{range .RepoTags}}{{$.Size}}{{end}}"), "21263362126336");
}

TEST(Template, Errors) {
  EXPECT_EQ(render("{{.Id"), "PARSE: template: unclosed action at offset 0");
  EXPECT_EQ(render("{{range .RepoTags}}x"), "PARSE: template: missing {{end}}");
  EXPECT_EQ(render("{{end}}"), "PARSE: template: unexpected {{end}} at offset 0");
  EXPECT_EQ(render("{{nope .Id}}"), "EXEC: template: {{nope .Id}}: function \"nope\" not defined");
  EXPECT_EQ(render("{{.Id.Sub}}"),
            "EXEC: template: executing {{.Id.Sub}}: can't evaluate field Sub in type string");
  EXPECT_EQ(render("{{index .RepoTags 5}}"),
            "EXEC: template: {{index .RepoTags 5}}: index 5 out of range");
  EXPECT_EQ(render("{{$x}}"), "EXEC: template: undefined variable $x in {{$x}}");
  EXPECT_EQ(render("{{\"abc}}"), "PARSE: unterminated string in {{\"abc}}");
}

}  // namespace
}  // namespace kiln::gotemplate
