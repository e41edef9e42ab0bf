// kiln build [OPTIONS] CONTEXT|-
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <mutex>

#include "kiln/base/strings.hpp"
#include "kiln/builder/build.hpp"
#include "kiln/builder/cache_io.hpp"
#include "kiln/cli/build_progress.hpp"
#include "kiln/cli/build_publish.hpp"
#include "kiln/cli/context.hpp"
#include "kiln/cli/executors.hpp"
#include "kiln/cli/lint_common.hpp"
#include "kiln/cli/policy_gate.hpp"
#include "kiln/cli/tagging.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/store/store.hpp"
#include "kiln/transport/out_file.hpp"

namespace kiln::cli {

namespace {

struct Args {
  builder::BuildOptions opts;
  std::vector<std::string> build_args, labels, secrets;
  std::string progress = "auto", output, network = "host", compression = "gzip", iidfile;
  std::string cache_from, cache_to, semver;
  bool latest = false;  // --latest with --semver
  int64_t sde = -1;
  bool quiet = false;
  bool check = false;       // --check: lint first, stop on error-level findings
  std::string lint_config;  // --lint-config
  std::string policy_file;  // --policy
  std::optional<lint::Policy> policy;
  PublishOptions publish;  // --push, --sbom, --sign --key
};

Result<std::pair<std::string, std::string>> key_value(const std::string& s, std::string_view flag) {
  auto eq = s.find('=');
  if (eq == 0) return failf(Errc::invalid_argument, "{} {:?}: empty key", flag, s);
  if (eq == std::string::npos) {
    // --build-arg K: take K from the environment, as docker does.
    const char* v = getenv(s.c_str());
    if (!v) return std::pair{s, std::string("\x01")};
    return std::pair{s, std::string(v)};
  }
  return std::pair{s.substr(0, eq), s.substr(eq + 1)};
}

Result<std::map<std::string, std::string>> parse_csv(const std::string& s, std::string_view flag) {
  std::map<std::string, std::string> out;
  for (const auto& part : split(s, ',')) {
    auto eq = part.find('=');
    if (eq == std::string::npos)
      return failf(Errc::invalid_argument, "{} {:?}: want key=value pairs", flag, s);
    out[part.substr(0, eq)] = part.substr(eq + 1);
  }
  return out;
}

// --secret id=ID[,src=PATH|,env=VAR]
Result<builder::Secret> parse_secret(const std::string& s) {
  auto kv = KILN_TRY(parse_csv(s, "--secret"));
  builder::Secret sec;
  sec.id = kv["id"];
  sec.file = kv.contains("src") ? kv["src"] : kv["source"];
  sec.env = kv["env"];
  if (sec.id.empty()) return fail(Errc::invalid_argument, "--secret needs id=");
  if (sec.file.empty() && sec.env.empty()) {
    if (!getenv(sec.id.c_str()))
      return failf(Errc::invalid_argument, "--secret id={}: give src=PATH or env=VAR", sec.id);
    sec.env = sec.id;
  }
  return sec;
}

// --output type=kiln|tar|local|oci|docker[,dest=PATH][,tar=true|false]
Result<builder::Output> parse_output(const std::string& text) {
  builder::Output out;
  auto kv = KILN_TRY(parse_csv(text, "--output"));
  std::string type = kv["type"];
  out.dest = kv["dest"];
  if (type == "kiln" || type == "image")
    out.type = builder::Output::Type::kiln;
  else if (type == "tar")
    out.type = builder::Output::Type::tar;
  else if (type == "local")
    out.type = builder::Output::Type::local;
  else if (type == "oci")
    out.type = builder::Output::Type::oci;
  else if (type == "docker")
    out.type = builder::Output::Type::docker;
  else
    return failf(Errc::invalid_argument, "--output type={:?}: want kiln, tar, local, oci or docker",
                 type);
  if (kv.contains("tar")) {
    if (type != "oci" || (kv["tar"] != "true" && kv["tar"] != "false"))
      return failf(Errc::invalid_argument, "--output: tar=true|false goes with type=oci");
    out.as_tar = kv["tar"] == "true";
  }
  return out;
}

Status prepare(Args& a) {
  auto& o = a.opts;
  for (const auto& b : a.build_args) {
    auto [k, v] = KILN_TRY(key_value(b, "--build-arg"));
    if (v != "\x01") o.build_args[k] = v;
  }
  for (const auto& l : a.labels) {
    auto [k, v] = KILN_TRY(key_value(l, "--label"));
    o.labels[k] = v == "\x01" ? "" : v;
  }
  for (const auto& s : a.secrets) o.secrets.push_back(KILN_TRY(parse_secret(s)));
  if (a.network == "none")
    o.network = sandbox::Network::none;
  else if (a.network == "host" || a.network == "default")
    o.network = sandbox::Network::host;
  else
    return failf(Errc::invalid_argument, "--network {:?}: want none or host", a.network);
  if (a.compression == "gzip")
    o.compression = io::Compression::gzip;
  else if (a.compression == "zstd")
    o.compression = io::Compression::zstd;
  else
    return failf(Errc::invalid_argument, "--compression {:?}: want gzip or zstd", a.compression);
  if (a.sde >= 0) {
    o.source_date_epoch = a.sde;
  } else if (const char* e = getenv("SOURCE_DATE_EPOCH"); e && *e) {
    auto v = parse_int(e);
    if (!v || *v < 0)
      return failf(Errc::invalid_argument, "SOURCE_DATE_EPOCH={:?} is not a number", e);
    o.source_date_epoch = *v;
  }
  if (!a.output.empty()) o.output = KILN_TRY(parse_output(a.output));
  if (!a.cache_from.empty())
    o.cache_from = KILN_TRY(builder::parse_cache_spec(a.cache_from, "src", "--cache-from"));
  if (!a.cache_to.empty())
    o.cache_to = KILN_TRY(builder::parse_cache_spec(a.cache_to, "dest", "--cache-to"));
  if (!a.policy_file.empty()) {
    if (o.context == "-")
      return fail(Errc::invalid_argument, "--policy needs a context directory, not stdin");
    std::string text = KILN_TRY_CTX(os::read_file(a.policy_file), "--policy");
    a.policy = KILN_TRY(lint::parse_policy(text, a.policy_file));
  }
  return {};
}

LintRequest lint_request(const Args& a) {
  LintRequest req;
  const auto& o = a.opts;
  req.context = o.context == "-" ? "" : o.context;
  req.dockerfile = o.dockerfile.empty() ? o.context + "/Dockerfile" : o.dockerfile;
  req.config_path = a.lint_config;
  req.build_args = o.build_args;
  req.target = o.target;
  return req;
}

// --check: the Dockerfile is linted before anything runs; error-level findings (any finding with
// the Dockerfile's `# check=error=true`) stop the build. Findings go to stderr.
Status check_gate(Context& ctx, const Args& a) {
  const auto& o = a.opts;
  if (o.context == "-" && (o.dockerfile.empty() || o.dockerfile == "-"))
    return fail(Errc::invalid_argument,
                "--check with a context on stdin needs the Dockerfile as -f FILE");
  auto res = KILN_TRY(run_lint(ctx, lint_request(a)));
  auto stop_at = res->report.error_on_warning ? lint::Severity::warning : lint::Severity::error;
  int stops = 0;
  for (const auto& f : res->report.findings) stops += f.severity >= stop_at;
  if (!res->report.findings.empty())
    fmt::print(stderr, "{}", lint::format_tty(res->report, *res->ast.source, stderr_is_terminal()));
  if (stops > 0)
    return failf(Errc::failed, "build stopped by --check: {} finding{} at {} level (nothing ran)",
                 stops, stops == 1 ? "" : "s", lint::severity_name(stop_at));
  return {};
}

void run(Context& ctx, Args& a) {
  if (auto st = prepare(a); !st) return ctx.report(st.error());
  if (a.check)
    if (auto st = check_gate(ctx, a); !st) return ctx.report(st.error());
  auto store = ctx.store();
  if (!store) return ctx.report(store.error());
  auto executor = make_executor("builtin");
  if (!executor) return ctx.report(executor.error());
  ProgressMode mode = ProgressMode::plain;
  if (a.quiet || a.progress == "quiet")
    mode = ProgressMode::quiet;
  else if (a.progress == "tty" || (a.progress == "auto" && stderr_is_terminal()))
    mode = ProgressMode::tty;
  else if (a.progress != "plain" && a.progress != "auto")
    return ctx.report(
        Error(Errc::invalid_argument,
              fmt::format("--progress {:?}: want auto, plain, tty or quiet", a.progress)));
  auto progress_ptr = make_build_progress(mode);
  auto& progress = *progress_ptr;
  // With a policy the image is built untagged and not exported, judged, and only then tagged
  // and exported by a second, fully cached build of the same Dockerfile (same image ID).
  if (!a.semver.empty()) {
    if (a.opts.tags.empty())
      return ctx.report(Error(Errc::invalid_argument, "build: --semver needs -t REPOSITORY"));
    std::vector<std::string> expanded;
    for (const auto& t : a.opts.tags) {
      auto refs = semver_references(t, a.semver, a.latest, "build -t " + t);
      if (!refs) return ctx.report(refs.error());
      for (const auto& r : *refs) expanded.push_back(r.str());
    }
    a.opts.tags = std::move(expanded);
  } else if (a.latest) {
    return ctx.report(Error(Errc::invalid_argument, "build: --latest goes with --semver"));
  }
  if (auto ok = check_publish(a.publish, a.opts.tags); !ok) return ctx.report(ok.error());
  auto tags = a.opts.tags;
  auto output = a.opts.output;
  if (a.policy) a.opts.tags.clear(), a.opts.output = builder::Output{};
  auto result = builder::build_image(**store, **executor, a.opts, progress);
  progress.finish();
  if (!result) {
    fmt::print(stderr, "ERROR: ");
    return ctx.report(result.error());
  }
  if (a.policy) {
    auto violations = policy_violations(ctx, *a.policy, result->image_id.str(), lint_request(a));
    if (!violations) return ctx.report(violations.error());
    for (const auto& v : *violations) fmt::print(stderr, "policy: {}\n", v);
    if (!violations->empty())
      return ctx.report(Error(
          Errc::failed,
          fmt::format("policy {} refused image {}: {} violation{}; not tagged or exported (its "
                      "layers stay in the build cache)",
                      a.policy_file, result->image_id.short_hex(), violations->size(),
                      violations->size() == 1 ? "" : "s")));
    if (!tags.empty() || output.type != builder::Output::Type::kiln || !output.dest.empty()) {
      a.opts.tags = tags, a.opts.output = output;
      auto quiet = make_build_progress(ProgressMode::quiet);
      auto again = builder::build_image(**store, **executor, a.opts, *quiet);
      quiet->finish();
      if (!again) return ctx.report(again.error());
      if (again->image_id != result->image_id)
        return ctx.report(
            Error(Errc::conflict,
                  fmt::format("the image changed between the policy check ({}) and "
                              "tagging ({}); build again",
                              result->image_id.short_hex(), again->image_id.short_hex())));
    }
  }
  if (!a.iidfile.empty()) {
    if (auto st = transport::write_out_file(a.iidfile, result->image_id.str()); !st)
      return ctx.report(st.error());
  }
  a.publish.quiet = a.quiet;
  if (auto ok = publish_build(ctx, result->image_id.str(), a.opts.tags, a.publish); !ok)
    return ctx.report(ok.error());
  if (a.quiet) {
    // With --output ...,dest=- stdout carries the tar: the ID goes to stderr.
    fmt::print(a.opts.output.dest == "-" ? stderr : stdout, "{}\n", result->image_id.str());
    return;
  }
  progress.info(fmt::format("writing image {} done", result->image_id.str()));
  for (const auto& t : a.opts.tags) progress.info(fmt::format("naming to {} done", t));
}

}  // namespace

void add_build(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<Args>();
  auto* c = app.add_subcommand("build", "Build an image from a Dockerfile");
  c->add_option("context", a->opts.context, "Context directory, or - for a tar stream on stdin")
      ->required();
  c->add_option("-t,--tag", a->opts.tags, "Name the image (repeatable)")->allow_extra_args(false);
  c->add_option("--semver", a->semver,
                "Name the image REPO:MAJOR.MINOR.PATCH, REPO:MAJOR.MINOR and REPO:MAJOR for each "
                "-t REPO (a prerelease gets only its full tag)");
  c->add_flag("--latest", a->latest, "With --semver, also REPO:latest");
  c->add_option("-f,--file", a->opts.dockerfile,
                "Dockerfile (default CONTEXT/Dockerfile; - for stdin)");
  c->add_option("--build-arg", a->build_args,
                "Set a build argument K=V (K alone: from the environment)")
      ->allow_extra_args(false);
  c->add_option("--target", a->opts.target, "Build up to this stage");
  c->add_flag("--no-cache", a->opts.no_cache, "Do not use the build cache");
  c->add_option("--label", a->labels, "Add a label K=V to the image")->allow_extra_args(false);
  c->add_option("--platform", a->opts.platform,
                "Target platform, e.g. linux/arm64 (default: this machine's); another CPU needs a "
                "binfmt_misc emulator for RUN");
  c->add_option("--secret", a->secrets,
                "Expose a secret to RUN --mount=type=secret: id=ID,src=PATH|env=VAR")
      ->allow_extra_args(false);
  c->add_option("--network", a->network, "Network for RUN: host (default) or none")
      ->capture_default_str();
  c->add_option("--progress", a->progress, "auto, plain, tty or quiet")->capture_default_str();
  c->add_flag("-q,--quiet", a->quiet, "Print only the image ID");
  c->add_option("--iidfile", a->iidfile, "Write the image ID to this file");
  c->add_option("--output,-o", a->output,
                "type=kiln (default), type=tar,dest=FILE|-, type=local,dest=DIR, "
                "type=docker,dest=FILE|- (docker load), type=oci,dest=FILE|-[,tar=false]");
  c->add_option("--compression", a->compression, "Layer compression: gzip or zstd")
      ->capture_default_str();
  c->add_flag("--push", a->publish.push, "Push the image to the registries its -t tags name");
  c->add_flag("--sbom", a->publish.sbom,
              "With --push: attach the image's SPDX SBOM as an OCI 1.1 referrer (signed with "
              "--sign)");
  c->add_flag("--sign", a->publish.sign,
              "With --push: sign the pushed image as cosign does (--key), before its tags are set");
  c->add_option("--key", a->publish.key, "Private key for --sign");
  add_registry_flags(c, a->publish.reg);
  c->add_option("--source-date-epoch", a->sde,
                "Clamp timestamps to this time (also $SOURCE_DATE_EPOCH)");
  c->add_option("--cache-from", a->cache_from, "Import build cache: type=local,src=DIR");
  c->add_option("--cache-to", a->cache_to, "Export build cache: type=local,dest=DIR");
  c->add_flag("--check", a->check,
              "Lint the Dockerfile first (kiln lint) and stop before any step runs when an "
              "error-level rule fires");
  c->add_option("--policy", a->policy_file,
                "Policy (YAML): lint, scan and analyze the result and refuse to tag or export an "
                "image that breaks it");
  c->add_option("--lint-config", a->lint_config,
                "Lint config for --check (default CONTEXT/.kiln-lint.yaml when present)");
  c->callback([&ctx, a] {
    a->opts.stdin_fd = 0;
    // Each step's layer is made by a process of this binary beside the next steps.
    a->opts.layer_maker = {"/proc/self/exe", "__layer-job"};
    run(ctx, *a);
  });
}

}  // namespace kiln::cli
