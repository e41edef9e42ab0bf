// The subset of Go's text/template that docker users put in --format:
//   {{.Field.Sub}}  {{.}}  {{json .X}}  {{index .X "key"}}  {{index .X 0}}  {{len .X}}
//   {{join .X ","}}  {{upper .X}}  {{lower .X}}  {{println .X}}  {{.X | json}}
//   {{range .X}}...{{.}}...{{end}}  {{range $i, $v := .X}}  {{if .X}}...{{else}}...{{end}}
//   {{with .X}}...{{end}}  {{- trim -}}  and "\t", "\n" escapes inside string literals.
// Data is a JSON document; values print as Go prints them (slices "[a b]", maps "map[k:v]",
// null "<nil>"). Errors name the offending action and its position.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "kiln/base/error.hpp"

namespace kiln::gotemplate {

struct Node;

class Template {
 public:
  static Result<Template> parse(std::string_view text);
  Template(Template&&) noexcept;
  Template& operator=(Template&&) noexcept;
  ~Template();
  // Renders against a JSON document (text).
  Result<std::string> render(std::string_view json) const;

 private:
  Template();
  std::unique_ptr<Node> m_root;
};

}  // namespace kiln::gotemplate
