#include "kiln/lint/lint.hpp"

#include <gtest/gtest.h>

#include "kiln/lint/policy.hpp"

namespace kiln::lint {
namespace {

Report lint_text(std::string_view text, const Config& cfg = {}) {
  auto ast = dockerfile::parse(text);
  EXPECT_TRUE(ast) << ast.error().message();
  auto df = dockerfile::parse_instructions(*ast);
  EXPECT_TRUE(df) << df.error().message();
  Input in;
  in.ast = &*ast;
  in.dockerfile = &*df;
  auto r = run(in, cfg);
  EXPECT_TRUE(r);
  return *r;
}

TEST(Lint, PositionsFollowContinuationsCommentsAndHeredocs) {
  Config cfg;
  cfg.only = {"AptInstallUnpinned", "PipefailMissing"};
  auto r = lint_text(
      "FROM debian:12\n"
      "RUN apt-get update \\\n"
      "# a comment inside the instruction\n"
      "  && apt-get install -y \\\n"
      "\tcurl=1 wget\n"
      "RUN <<EOF\n"
      "set -e\n"
      "  cat /x | grep y\n"
      "EOF\n",
      cfg);
  ASSERT_EQ(r.findings.size(), 2u);
  EXPECT_EQ(r.findings[0].rule, "AptInstallUnpinned");
  EXPECT_EQ(r.findings[0].line, 5);
  EXPECT_EQ(r.findings[0].column, 9);  // "wget" after a tab and "curl=1 "
  EXPECT_EQ(r.findings[1].rule, "PipefailMissing");
  EXPECT_EQ(r.findings[1].line, 8);
  EXPECT_EQ(r.findings[1].column, 12);  // "grep" after "  cat /x | "
}

TEST(Lint, OddScriptsDoNotCrash) {
  Config cfg;
  cfg.shellcheck = false;
  auto r = lint_text(
      "FROM debian:12\n"
      "RUN x | FOO=1\n"
      "RUN true | sudo\n"
      "RUN fi | done && | ; ;; ( ) { }\n"
      "RUN apt-get install | apk add | pip install | npm install | gem install | go install\n"
      "RUN curl x | \n"
      "RUN ['not', 'json'\n"
      "RUN <<EOF\n"
      "EOF\n",
      cfg);
  EXPECT_FALSE(r.findings.empty());
}

TEST(Lint, IgnoresConfigAndSeverities) {
  const char* text =
      "FROM busybox:1.36\n"
      "# kiln-ignore=JSONArgsRecommended\n"
      "CMD echo a\n"
      "USER root\n";
  auto r = lint_text(text);
  for (const auto& f : r.findings) EXPECT_NE(f.rule, "JSONArgsRecommended");
  Config cfg = *parse_config("rules:\n  RootUser: error\n  BaseImageNotPinned: off\n", "c.yaml");
  r = lint_text(text, cfg);
  ASSERT_EQ(r.findings.size(), 1u);
  EXPECT_EQ(r.findings[0].rule, "RootUser");
  EXPECT_EQ(r.findings[0].severity, Severity::error);
  EXPECT_EQ(worst(r), Severity::error);
}

TEST(Lint, ConfigErrorsNameFileAndKey) {
  auto e = parse_config("rules:\n  Nope: off\n", "c.yaml");
  ASSERT_FALSE(e);
  EXPECT_EQ(e.error().message(), "c.yaml: unknown rule \"Nope\" (kiln lint --list-rules)");
  e = parse_config("rules:\n  RootUser: maybe\n", "c.yaml");
  ASSERT_FALSE(e);
  EXPECT_NE(e.error().message().find("rules.RootUser: \"maybe\""), std::string::npos);
  e = parse_config("rules: [\n", "c.yaml");
  ASSERT_FALSE(e);
  EXPECT_TRUE(e.error().message().starts_with("c.yaml:2:")) << e.error().message();
  e = parse_config("colour: red\n", "c.yaml");
  ASSERT_FALSE(e);
  auto ok = parse_config(
      "ignored: [CdInRun]\ntrusted-registries: [ghcr.io/acme]\n"
      "shellcheck: false\nfailure-threshold: error\n",
      "c.yaml");
  ASSERT_TRUE(ok) << ok.error().message();
  EXPECT_TRUE(ok->disabled.contains("CdInRun"));
  EXPECT_EQ(ok->trusted_registries, std::vector<std::string>{"ghcr.io/acme"});
  EXPECT_FALSE(ok->shellcheck);
  EXPECT_EQ(ok->failure_threshold, Severity::error);
}

TEST(Lint, PolicyAndFractions) {
  auto p = parse_policy(
      "lint: warning\nmax-severity: high\nsecrets: false\nroot: false\nmax-waste: 5%\n"
      "min-efficiency: 0.95\nrequired-labels: [a, b]\nallowed-base-registries: [docker.io]\n",
      "p.yaml");
  ASSERT_TRUE(p) << p.error().message();
  EXPECT_EQ(p->lint, Severity::warning);
  EXPECT_EQ(p->max_severity, "HIGH");
  EXPECT_EQ(p->secrets, false);
  EXPECT_DOUBLE_EQ(*p->max_waste, 0.05);
  EXPECT_DOUBLE_EQ(*p->min_efficiency, 0.95);
  EXPECT_EQ(p->required_labels.size(), 2u);
  EXPECT_FALSE(parse_policy("max-waste: lots\n", "p.yaml"));
  EXPECT_FALSE(parse_policy("root: perhaps\n", "p.yaml"));
  EXPECT_FALSE(parse_policy("- a\n", "p.yaml"));
  EXPECT_DOUBLE_EQ(*parse_fraction("10%"), 0.1);
  EXPECT_DOUBLE_EQ(*parse_fraction("0.25"), 0.25);
  EXPECT_DOUBLE_EQ(*parse_fraction("25"), 0.25);
  EXPECT_FALSE(parse_fraction("-1"));
  EXPECT_FALSE(parse_fraction("150%"));
  EXPECT_FALSE(parse_fraction("1e400"));
}

TEST(Lint, EveryRuleIsDescribedOnce) {
  std::set<std::string_view> ids;
  for (const auto& r : rules()) {
    EXPECT_TRUE(ids.insert(r.id).second) << r.id;
    EXPECT_FALSE(r.description.empty()) << r.id;
    EXPECT_EQ(find_rule(r.id), &r);
  }
  EXPECT_EQ(find_rule("NoSuchRule"), nullptr);
}

}  // namespace
}  // namespace kiln::lint
