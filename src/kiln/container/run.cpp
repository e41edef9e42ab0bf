#include "kiln/container/run.hpp"

#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>

#include "kiln/base/strings.hpp"
#include "kiln/container/snapshots.hpp"
#include "kiln/container/volumes.hpp"
#include "kiln/sandbox/caps.hpp"

namespace kiln::container {

namespace {

constexpr std::string_view k_default_path =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

void set_env(std::vector<std::string>& env, const std::string& kv) {
  auto key = kv.substr(0, kv.find('='));
  std::erase_if(env, [&](const std::string& e) { return e.substr(0, e.find('=')) == key; });
  env.push_back(kv);
}

Status add_env_arg(std::vector<std::string>& env, std::string_view arg, std::string_view where) {
  if (arg.empty() || arg.starts_with("="))
    return failf(Errc::invalid_argument, "{}: invalid environment variable {:?}", where,
                 std::string(arg));
  if (arg.find('=') != std::string_view::npos) {
    set_env(env, std::string(arg));
  } else if (const char* v = getenv(std::string(arg).c_str())) {
    set_env(env, std::string(arg) + "=" + v);  // "-e K": taken from kiln's environment
  }
  return {};
}

std::string host_file(const char* path) {
  auto text = os::read_file(path);
  return text ? *text : "";
}

Result<sandbox::Mount> parse_tmpfs(const std::string& spec) {
  sandbox::Mount m;
  m.kind = sandbox::Mount::Kind::tmpfs;
  auto colon = spec.find(':');
  m.target = spec.substr(0, colon);
  if (colon != std::string::npos) m.options = spec.substr(colon + 1);
  if (m.target.empty() || m.target[0] != '/')
    return failf(Errc::invalid_argument, "invalid --tmpfs {:?}: the path must be absolute", spec);
  return m;
}

}  // namespace

Result<std::vector<std::string>> effective_command(const oci::ContainerConfig& config,
                                                   const RunOptions& opts) {
  std::vector<std::string> cmd;
  if (opts.entrypoint) {
    if (!opts.entrypoint->empty()) cmd.push_back(*opts.entrypoint);
  } else if (config.entrypoint) {
    cmd = *config.entrypoint;
  }
  if (!opts.args.empty())
    cmd.insert(cmd.end(), opts.args.begin(), opts.args.end());
  else if (!opts.entrypoint && config.cmd)  // --entrypoint resets the image's Cmd
    cmd.insert(cmd.end(), config.cmd->begin(), config.cmd->end());
  if (cmd.empty())
    return fail(Errc::invalid_argument,
                "no command specified: the image has no Entrypoint or Cmd, give one after the "
                "image name");
  return cmd;
}

Result<std::vector<std::string>> effective_env(const oci::ContainerConfig& config,
                                               const RunOptions& opts,
                                               const std::string& hostname) {
  std::vector<std::string> env = config.env;
  bool has_path = std::any_of(env.begin(), env.end(),
                              [](const std::string& e) { return e.starts_with("PATH="); });
  if (!has_path) env.insert(env.begin(), std::string(k_default_path));
  set_env(env, "HOSTNAME=" + hostname);
  if (opts.tty) set_env(env, "TERM=xterm");
  for (const auto& f : opts.env_files) {
    auto text = KILN_TRY_CTX(os::read_file(f), fmt::format("--env-file {}", f));
    int line_no = 0;
    for (auto line : split(text, '\n')) {
      ++line_no;
      std::string_view l = trim(line);
      if (l.empty() || l.starts_with("#")) continue;
      KILN_TRY(add_env_arg(env, l, fmt::format("{}:{}", f, line_no)));
    }
  }
  for (const auto& e : opts.env) KILN_TRY(add_env_arg(env, e, "-e"));
  return env;
}

Result<sandbox::Mount> parse_volume(const std::string& spec) {
  auto parts = split(spec, ':');
  auto bad = [&](std::string_view why) {
    return failf(Errc::invalid_argument, "invalid volume specification {:?}: {}", spec, why);
  };
  if (parts.size() < 2 || parts.size() > 3) return bad("want HOST:CONTAINER[:ro|rw]");
  sandbox::Mount m;
  m.source = parts[0];
  m.target = parts[1];
  if (parts.size() == 3) {
    for (const auto& o : split(parts[2], ',')) {
      if (o == "ro")
        m.readonly = true;
      else if (o != "rw" && o != "z" && o != "Z")
        return bad(fmt::format("unknown option {:?}", o));
    }
  }
  if (m.source.empty() || m.source[0] != '/')
    return bad("the host path must be absolute (named volumes are not supported)");
  if (m.target.empty() || m.target[0] != '/') return bad("the container path must be absolute");
  if (m.target == "/") return bad("the container path may not be /");
  for (const auto& c : split(m.target, '/'))
    if (c == "..") return bad("the container path may not contain \"..\"");
  struct stat st {};
  if (::stat(m.source.c_str(), &st) != 0) {
    if (errno != ENOENT) return fail_errno(fmt::format("volume source {}", m.source));
    KILN_TRY(os::Dir::create(m.source, 0755));  // as docker does
  }
  return m;
}

namespace {

// The process the container runs, from the image's config and the run's options (no root
// filesystem yet).
Result<sandbox::SandboxSpec> container_spec(const oci::ContainerConfig& cfg, const RunOptions& opts,
                                            const ContainerRecord& c) {
  sandbox::SandboxSpec spec;
  spec.id = c.id;
  spec.args = c.command;
  spec.hostname = opts.hostname.empty() ? c.id.substr(0, 12) : opts.hostname;
  spec.env = KILN_TRY(effective_env(cfg, opts, spec.hostname));
  spec.cwd = !opts.workdir.empty()      ? opts.workdir
             : !cfg.working_dir.empty() ? cfg.working_dir
                                        : "/";
  if (spec.cwd[0] != '/')
    return failf(Errc::invalid_argument, "the working directory {:?} is not absolute", spec.cwd);
  spec.user = !opts.user.empty() ? opts.user : cfg.user;
  spec.network = opts.network;
  spec.user_namespace = opts.user_namespace;
  spec.tty = opts.tty;
  spec.readonly_rootfs = opts.readonly;
  spec.capabilities = KILN_TRY(sandbox::adjust_capabilities(opts.cap_add, opts.cap_drop));
  spec.rlimits = {{RLIMIT_NOFILE, 1048576, 1048576}};
  for (const auto& v : opts.volumes) spec.mounts.push_back(KILN_TRY(parse_volume(v)));
  for (const auto& t : opts.tmpfs) spec.mounts.push_back(KILN_TRY(parse_tmpfs(t)));
  if (opts.network == sandbox::Network::host) {
    spec.etc_hosts = host_file("/etc/hosts");
  } else {
    spec.etc_hosts = fmt::format(
        "127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n"
        "fe00::0\tip6-localnet\nff00::0\tip6-mcastprefix\nff02::1\tip6-allnodes\n"
        "ff02::2\tip6-allrouters\n127.0.1.1\t{}\n",
        spec.hostname);
  }
  spec.resolv_conf = host_file("/etc/resolv.conf");
  return spec;
}

// The container's root filesystem and the image's VOLUMEs (before the user's mounts, so that
// a user's mount below one stays visible).
Status attach_rootfs(store::Store& store, const store::ImageView& image,
                     const oci::ContainerConfig& cfg, const std::string& dir, ContainerRecord& c,
                     sandbox::SandboxSpec& spec) {
  auto snapshotter = choose_snapshotter(store);
  c.snapshotter = snapshotter == Snapshotter::overlay ? "overlay" : "copy";
  spec.rootfs = KILN_TRY(prepare_rootfs(store, image, dir, snapshotter));
  c.lowers = spec.rootfs.lowers;
  auto volumes = KILN_TRY(make_image_volumes(cfg.volumes, spec.mounts, spec.rootfs, dir));
  spec.mounts.insert(spec.mounts.begin(), volumes.begin(), volumes.end());
  spec.state_dir = dir + "/run";
  return {};
}

}  // namespace

Result<RunResult> run_container(store::Store& store, sandbox::Executor& executor,
                                const RunOptions& opts) {
  auto image = KILN_TRY(store::load_image(store, opts.image));
  oci::ContainerConfig cfg = image.config.config.value_or(oci::ContainerConfig{});

  ContainerRecord c;
  c.id = new_container_id();
  c.image = opts.image;
  c.image_id = image.record.manifest_digest.str();
  c.command = KILN_TRY(effective_command(cfg, opts));
  c.created = store::now_seconds();
  c.auto_remove = opts.remove;
  c.runtime = std::string(executor.name());
  auto spec = KILN_TRY(container_spec(cfg, opts, c));

  std::string dir = container_dir(store, c.id);
  KILN_TRY(sweep_containers(store));
  KILN_TRY(save_container(store, c));
  auto ready = attach_rootfs(store, image, cfg, dir, c, spec);
  if (ready) ready = mark_running(store, c);
  if (!ready) {
    (void)remove_container(store, c, true);
    return std::unexpected(ready.error());
  }

  sandbox::Stdio stdio;
  stdio.in = opts.interactive ? 0 : -1;
  auto outcome = executor.run(spec, stdio);

  c.status = "exited";
  c.finished = store::now_seconds();
  c.exit_code = outcome ? outcome->exit_code : 125;
  if (auto d = os::Dir::open(dir)) (void)d->remove_all("run");
  if (opts.remove || !outcome) {
    KILN_TRY(remove_container(store, c, false));
  } else {
    KILN_TRY(save_container(store, c));
  }
  if (!outcome) return std::unexpected(outcome.error());
  return RunResult{*outcome, c.id};
}

}  // namespace kiln::container
