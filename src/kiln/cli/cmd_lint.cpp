// kiln lint [--format tty|json|sarif] [--config F] [--context DIR] [--rule ID]... [Dockerfile]
#include <unistd.h>

#include "kiln/base/strings.hpp"
#include "kiln/cli/lint_common.hpp"
#include "kiln/os/dir.hpp"

namespace kiln::cli {

namespace {

struct LintArgs {
  std::string dockerfile = "Dockerfile", format = "tty", config, context, target;
  std::string threshold, color = "auto";
  std::vector<std::string> rules, ignore, build_args;
  bool no_shellcheck = false, list = false, no_store = false;
};

std::string dir_of(const std::string& path) {
  auto slash = path.rfind('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

void list_rules(const LintArgs& a) {
  if (a.format == "json") {
    std::string out = "[";
    bool first = true;
    for (const auto& r : lint::rules()) {
      out += fmt::format(
          "{}\n  {{\"id\": {}, \"severity\": \"{}\", \"category\": \"{}\", \"enabled\": {}, "
          "\"description\": {}, \"url\": {}}}",
          first ? "" : ",", dockerfile::go_quote(r.id), lint::severity_name(r.severity), r.category,
          r.enabled ? "true" : "false", dockerfile::go_quote(r.description),
          dockerfile::go_quote(r.url));
      first = false;
    }
    fmt::print("{}\n]\n", out);
    return;
  }
  std::vector<std::vector<std::string>> rows{{"RULE", "SEVERITY", "CATEGORY", "DESCRIPTION"}};
  for (const auto& r : lint::rules())
    rows.push_back({std::string(r.id),
                    std::string(lint::severity_name(r.severity)) + (r.enabled ? "" : " (off)"),
                    std::string(r.category), std::string(r.description)});
  print_table(rows);
}

Status run(Context& ctx, LintArgs& a) {
  if (a.format != "tty" && a.format != "json" && a.format != "sarif")
    return failf(Errc::invalid_argument, "lint: unknown --format \"{}\" (want tty, json or sarif)",
                 a.format);
  if (a.list) {
    list_rules(a);
    return {};
  }
  LintRequest req;
  req.dockerfile = a.dockerfile;
  req.context = !a.context.empty() ? a.context : a.dockerfile == "-" ? "" : dir_of(a.dockerfile);
  req.config_path = a.config;
  req.target = a.target;
  req.use_store = !a.no_store;
  for (const auto& b : a.build_args) {
    auto eq = b.find('=');
    if (eq == 0 || eq == std::string::npos)
      return failf(Errc::invalid_argument, "lint: --build-arg \"{}\": want KEY=VALUE", b);
    req.build_args[b.substr(0, eq)] = b.substr(eq + 1);
  }
  auto cfg = KILN_TRY(load_lint_config(req));
  for (const auto& r : a.rules) {
    if (!lint::find_rule(r))
      return failf(Errc::invalid_argument, "lint: unknown rule \"{}\" (kiln lint --list-rules)", r);
    cfg.only.insert(r);
  }
  for (const auto& r : a.ignore) {
    if (!lint::find_rule(r))
      return failf(Errc::invalid_argument, "lint: unknown rule \"{}\" (kiln lint --list-rules)", r);
    cfg.disabled.insert(r);
  }
  if (a.no_shellcheck) cfg.shellcheck = false;
  bool fail_never = a.threshold == "none";
  if (!a.threshold.empty() && !fail_never) {
    auto s = lint::parse_severity(a.threshold);
    if (!s)
      return failf(Errc::invalid_argument,
                   "lint: --failure-threshold \"{}\": want info, warning, error or none",
                   a.threshold);
    cfg.failure_threshold = *s;
  }
  auto res = KILN_TRY(run_lint(ctx, req, &cfg));
  const auto& src = *res->ast.source;
  if (a.format == "json") {
    fmt::print("{}", lint::format_json(res->report, src));
  } else if (a.format == "sarif") {
    fmt::print("{}", lint::format_sarif(res->report, src, KILN_VERSION));
  } else {
    bool color = a.color == "always" || (a.color == "auto" && stdout_is_terminal());
    fmt::print("{}", lint::format_tty(res->report, src, color));
  }
  std::fflush(stdout);
  auto threshold = res->report.error_on_warning ? lint::Severity::warning : cfg.failure_threshold;
  bool failed = false;
  for (const auto& f : res->report.findings) failed |= f.severity >= threshold;
  if (failed && !fail_never) ctx.exit_code = 1;
  return {};
}

}  // namespace

void add_lint(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<LintArgs>();
  auto* c = app.add_subcommand(
      "lint", "Check a Dockerfile: BuildKit's checks plus pinning, size and security rules");
  c->add_option("dockerfile", a->dockerfile, "The Dockerfile (- for stdin)")->capture_default_str();
  c->add_option("--format", a->format, "tty, json or sarif")->capture_default_str();
  c->add_option("--config", a->config,
                "Lint config (YAML; default CONTEXT/.kiln-lint.yaml when present)");
  c->add_option("--context", a->context,
                "Build context for .dockerignore and lock-file checks (default: the "
                "Dockerfile's directory)");
  c->add_option("--rule", a->rules, "Run only this rule (repeatable)")->allow_extra_args(false);
  c->add_option("--ignore", a->ignore, "Do not run this rule (repeatable)")
      ->allow_extra_args(false);
  c->add_option("--build-arg", a->build_args, "KEY=VALUE, as kiln build takes it")
      ->allow_extra_args(false);
  c->add_option("--target", a->target, "The stage that is built (default: the last)");
  c->add_option("--failure-threshold", a->threshold,
                "Exit 1 when a finding is at least this severe: info, warning (default), error "
                "or none");
  c->add_option("--color", a->color, "auto, always or never")->capture_default_str();
  c->add_flag("--no-shellcheck", a->no_shellcheck, "Do not run shellcheck over RUN scripts");
  c->add_flag("--no-store", a->no_store,
              "Do not read base images from the local store (UndefinedVar then skips stages "
              "whose base environment is unknown)");
  c->add_flag("--list-rules", a->list, "List every rule with its severity and description");
  c->callback([&ctx, a] {
    if (auto st = run(ctx, *a); !st) ctx.report(st.error());
  });
}

}  // namespace kiln::cli
