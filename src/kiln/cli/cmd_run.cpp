// kiln run [OPTIONS] IMAGE [CMD...]
#include <unistd.h>

#include "kiln/cli/context.hpp"
#include "kiln/cli/executors.hpp"
#include "kiln/cli/signature_policy.hpp"
#include "kiln/container/run.hpp"
#include "kiln/store/store.hpp"

namespace kiln::cli {

namespace {

struct Args {
  container::RunOptions opts;
  std::string entrypoint;
  bool entrypoint_set = false;
  std::string network = "none";
  std::string userns = "host";
  PolicyFlags policy;
};

// The signature policy holds for every name the image has in the store.
Status check_policy(store::Store& st, const Args& a) {
  auto policy = KILN_TRY(load_signature_policy(a.policy.file));
  if (!policy) return {};  // no policy: no lookup
  auto rec = KILN_TRY(st.resolve_top(a.opts.image));
  for (const auto& n : rec.names)
    if (auto ref = oci::Reference::parse(n))
      KILN_TRY(enforce_signature_policy(*policy, a.policy, *ref, rec.manifest_digest,
                                        RegistryFlags{}, "run"));
  return {};
}

// docker run's own failures exit 125; a command that cannot be run exits 126 or 127.
constexpr int k_run_failed = 125;

void run(Context& ctx, Args& a, std::vector<std::string> rest) {
  auto fail_run = [&](const Error& e) {
    fmt::print(stderr, "kiln: {}\n", e.message());
    ctx.exit_code = k_run_failed;
  };
  if (a.network == "host") {
    a.opts.network = sandbox::Network::host;
  } else if (a.network != "none") {
    return fail_run(
        Error(Errc::invalid_argument,
              fmt::format("unsupported --network {:?} (want none or host)", a.network)));
  }
  if (a.userns == "private") {
    a.opts.user_namespace = true;
  } else if (a.userns != "host") {
    return fail_run(
        Error(Errc::invalid_argument,
              fmt::format("unsupported --userns {:?} (want host or private)", a.userns)));
  }
  if (a.entrypoint_set) a.opts.entrypoint = a.entrypoint;
  a.opts.args = std::move(rest);
  if (a.opts.tty && !isatty(0) && a.opts.interactive) {
    // docker refuses this too: the terminal would be half-wired.
    return fail_run(Error(Errc::invalid_argument, "the input device is not a TTY"));
  }
  auto st = ctx.store();
  if (!st) return fail_run(st.error());
  if (auto ok = check_policy(**st, a); !ok) return fail_run(ok.error());
  auto executor = make_executor(a.opts.runtime);
  if (!executor) return fail_run(executor.error());
  a.opts.runtime = std::string((*executor)->name());
  auto result = container::run_container(**st, **executor, a.opts);
  if (!result) return fail_run(result.error());
  if (!result->outcome.exec_error.empty())
    fmt::print(stderr, "kiln: {}\n", result->outcome.exec_error);
  ctx.exit_code = result->outcome.exit_code;
}

// docker's usage line: the container's command follows IMAGE.
class RunFormatter final : public CLI::Formatter {
 public:
  std::string make_usage(const CLI::App*, std::string name) const override {
    return "Usage: " + name + " [OPTIONS] IMAGE [COMMAND] [ARG...]\n";
  }
};

}  // namespace

void add_run(CLI::App& app, Context& ctx) {
  auto a = std::make_shared<Args>();
  auto* c = app.add_subcommand("run", "Run a command in a new container from an image");
  c->prefix_command();  // everything after IMAGE belongs to the container's command
  c->formatter(std::make_shared<RunFormatter>());
  c->add_option("image", a->opts.image, "Image name, ID or ID prefix")->required();
  c->add_flag("--rm", a->opts.remove, "Remove the container when it exits");
  c->add_option("-e,--env", a->opts.env, "Set an environment variable (K=V, or K to pass it on)")
      ->allow_extra_args(false);
  c->add_option("--env-file", a->opts.env_files, "Read environment variables from a file")
      ->allow_extra_args(false);
  c->add_option("-v,--volume", a->opts.volumes, "Bind mount HOST:CONTAINER[:ro]")
      ->allow_extra_args(false);
  c->add_option("--tmpfs", a->opts.tmpfs, "Mount a tmpfs at DIR[:OPTIONS]")
      ->allow_extra_args(false);
  c->add_option("-w,--workdir", a->opts.workdir, "Working directory inside the container");
  c->add_option("-u,--user", a->opts.user, "User: name, uid, name:group or uid:gid");
  c->add_option("--entrypoint", a->entrypoint, "Override the image's entrypoint (\"\" clears it)")
      ->each([a](const std::string&) { a->entrypoint_set = true; });
  c->add_option("--network", a->network, "Network: none (loopback only) or host")
      ->capture_default_str();
  c->add_option("--userns", a->userns,
                "User namespace: host, or private (a namespace of its own with identity id maps: "
                "capabilities hold only inside the container's namespaces)")
      ->capture_default_str();
  c->add_flag("-t,--tty", a->opts.tty, "Allocate a pseudo-terminal");
  c->add_flag("-i,--interactive", a->opts.interactive, "Keep stdin attached");
  c->add_flag("--read-only", a->opts.readonly, "Mount the root filesystem read-only");
  c->add_option("--cap-add", a->opts.cap_add, "Add a capability (or ALL)")->allow_extra_args(false);
  c->add_option("--cap-drop", a->opts.cap_drop, "Drop a capability (or ALL)")
      ->allow_extra_args(false);
  c->add_option("--hostname", a->opts.hostname, "Container host name (default: its short ID)");
  c->add_option("--runtime", a->opts.runtime, "Executor: builtin, runc or crun")
      ->capture_default_str();
  add_policy_flags(c, a->policy);
  c->fallthrough(false);  // ... and is not handed back to kiln's own parser
  c->callback([&ctx, a, c] { run(ctx, *a, c->remaining()); });
}

}  // namespace kiln::cli
