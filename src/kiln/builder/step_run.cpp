// RUN: a sandboxed process on a writable tree; its changes become the layer.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <deque>
#include <mutex>
#include <thread>

#include "kiln/base/strings.hpp"
#include "kiln/builder/state.hpp"
#include "kiln/container/containers.hpp"
#include "kiln/digest/digest.hpp"
#include "kiln/oci/platform.hpp"
#include "kiln/sandbox/caps.hpp"
#include "kiln/store/image_view.hpp"
#include "kiln/store/metadata.hpp"
#include "kiln/store/paths.hpp"

namespace kiln::builder {

namespace {

// A stage for another CPU runs its programs only through an emulator registered with
// binfmt_misc, as with BuildKit.
std::string foreign_platform_hint(const oci::ImageConfig& c) {
  auto have = oci::platform_of(c);
  auto host = oci::host_platform();
  if (oci::platform_matches(host, have)) return {};
  return fmt::format(
      "\nthis stage is for {} and this machine is {}: its programs run only through an "
      "emulator registered with binfmt_misc (on Debian: apt-get install qemu-user-static)",
      oci::platform_string(have), oci::platform_string(host));
}

using dockerfile::Mount;

// Reads the process's output line by line: to the progress view and a tail kept for errors.
class OutputPump {
 public:
  OutputPump(Progress& p, int id) : m_progress(p), m_id(id) {}
  Status start() {
    int fds[2];
    if (pipe2(fds, O_CLOEXEC) != 0) return fail_errno("pipe");
    m_read.reset(fds[0]);
    m_write.reset(fds[1]);
    // The reader thread must never take kiln's SIGINT/SIGTERM (the executor waits for them on
    // a signalfd in this thread): it starts with every signal blocked.
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    m_thread = std::jthread([this] { pump(); });
    pthread_sigmask(SIG_SETMASK, &old, nullptr);
    return {};
  }
  int fd() const { return m_write.get(); }
  // Closes kiln's write end and waits until the process's output has been read.
  std::string finish() {
    m_write.reset();
    if (m_thread.joinable()) m_thread.join();
    return join(std::vector<std::string>(m_tail.begin(), m_tail.end()), "\n");
  }
  ~OutputPump() { finish(); }

 private:
  void pump() {
    char buf[8192];
    std::string line;
    while (true) {
      ssize_t n = ::read(m_read.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      for (ssize_t i = 0; i < n; ++i) {
        if (buf[i] == '\n') {
          emit(line);
          line.clear();
        } else {
          line += buf[i];
        }
      }
    }
    if (!line.empty()) emit(line);
  }
  void emit(const std::string& line) {
    m_progress.output(m_id, line);
    m_tail.push_back(line);
    if (m_tail.size() > 20) m_tail.pop_front();
  }

  Progress& m_progress;
  int m_id;
  Fd m_read, m_write;
  std::jthread m_thread;
  std::deque<std::string> m_tail;
};

std::string host_path_of(const os::Dir& dir, std::string_view rel) {
  auto fd = dir.open_in_root(rel.empty() ? "." : rel, O_PATH | O_CLOEXEC);
  if (!fd) return "";
  char buf[4096];
  ssize_t n = readlink(fmt::format("/proc/self/fd/{}", fd->get()).c_str(), buf, sizeof buf);
  return n > 0 ? std::string(buf, static_cast<size_t>(n)) : "";
}

struct PreparedMounts {
  std::vector<sandbox::Mount> mounts;
  std::vector<std::string> env;  // secret env=
  std::string key_text;
  std::vector<Fd> locks;
  std::vector<std::string> targets;
};

const Secret* find_secret(const BuildEnv& env, const std::string& id) {
  for (const auto& s : env.opts.secrets)
    if (s.id == id) return &s;
  return nullptr;
}

// type=cache: a directory of the store's build-cache that outlives the build.
Status cache_mount(BuildEnv& env, const Mount& m, const std::string& target, PreparedMounts& pm) {
  std::string id = m.id.empty() ? target : m.id;
  std::string dir =
      fmt::format("{}/build-cache/{}", env.store.root(), Digest::of(id).hex().substr(0, 32));
  if (env.opts.no_cache) {
    // --no-cache starts every cache mount empty, once per build: later steps of the same
    // build share what the first one wrote, as usual.
    std::lock_guard lk(env.cache_resets->mu);
    if (env.cache_resets->done.insert(dir).second)
      if (auto parent = os::Dir::open(env.store.root() + "/build-cache"))
        KILN_TRY_CTX(parent->remove_all(dir.substr(dir.rfind('/') + 1)),
                     fmt::format("--no-cache: empty the cache mount {}", m.spec));
  }
  bool fresh = !os::Dir::open(dir);
  auto d = KILN_TRY(os::Dir::create(dir, m.mode.value_or(0755)));
  if (fresh) {
    fchown(d.fd(), m.uid.value_or(0), m.gid.value_or(0));
    fchmod(d.fd(), m.mode.value_or(0755));
    if (!m.from.empty()) {
      // A new cache starts as a copy of `source` in the stage or image `from`.
      auto ref = KILN_TRY(resolve_from(env, m.from));
      auto root = KILN_TRY(os::Dir::open(KILN_TRY(env.trees.materialize(ref.layers))));
      std::string seed = host_path_of(root, m.source.empty() ? "." : m.source);
      if (seed.empty())
        return failf(Errc::not_found, "--mount {}: source {:?} not found in {}", m.spec, m.source,
                     m.from);
      KILN_TRY_CTX(copy_tree(seed + "/.", dir), fmt::format("--mount {}", m.spec));
    }
  }
  if (m.sharing == "locked" || m.sharing == "private") {
    Fd lock(::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC));
    if (flock(lock.get(), LOCK_EX) != 0) return fail_errno("lock cache mount");
    pm.locks.push_back(std::move(lock));
  }
  pm.mounts.push_back({sandbox::Mount::Kind::bind, dir, target, false, ""});
  return {};
}

// type=bind: a path of the context or of a stage/image; rw binds get a throwaway copy.
Status bind_mount(BuildEnv& env, const Mount& m, const std::string& target, int n,
                  const std::string& scratch, PreparedMounts& pm) {
  std::string source_root;
  std::string src_rel = m.source.empty() ? "." : m.source;
  if (m.from.empty()) {
    source_root = env.context_path;
    std::vector<std::string> rels = {dockerfile::go_clean("/" + src_rel).substr(1)};
    if (rels[0].empty()) rels[0] = ".";
    pm.key_text +=
        "context " + KILN_TRY(env.context.content_key(rels, dockerfile::IgnoreMatcher{})) + "\n";
  } else {
    auto ref = KILN_TRY(resolve_from(env, m.from));
    source_root = KILN_TRY(env.trees.materialize(ref.layers));
    pm.key_text += "from " + ref.key + "\n";
  }
  auto root = KILN_TRY(os::Dir::open(source_root));
  std::string host = host_path_of(root, src_rel);
  if (host.empty())
    return failf(Errc::not_found, "--mount {}: source {:?} not found", m.spec, m.source);
  if (!m.readonly) {
    // rw: writes go to a throwaway copy, never to the context or the stage.
    std::string copy = fmt::format("{}/bind-{}", scratch, n);
    KILN_TRY_CTX(copy_tree(host, copy), fmt::format("--mount {}", m.spec));
    host = copy;
  }
  pm.mounts.push_back({sandbox::Mount::Kind::bind, host, target, m.readonly, ""});
  return {};
}

// type=secret: a file (or an environment variable) the step sees and the layer never holds.
// False when an optional secret is absent, or the secret went to an env= only.
Result<bool> secret_mount(BuildEnv& env, const Mount& m, const std::string& target, int n,
                          const std::string& scratch, PreparedMounts& pm) {
  std::string id = m.id.empty() ? target.substr(target.rfind('/') + 1) : m.id;
  const Secret* sec = find_secret(env, id);
  if (!sec) {
    if (m.required)
      return failf(Errc::not_found, "secret {} not found (give it with --secret id={},src=FILE)",
                   id, id);
    return false;
  }
  std::string content;
  if (!sec->env.empty()) {
    const char* v = getenv(sec->env.c_str());
    if (!v)
      return failf(Errc::not_found, "secret {}: environment variable {} is not set", id, sec->env);
    content = v;
  } else {
    content = KILN_TRY_CTX(os::read_file(sec->file), fmt::format("secret {}", id));
  }
  if (!m.env.empty()) {
    pm.env.push_back(m.env + "=" + content);
    if (m.target.empty()) return false;
  }
  auto sdir = KILN_TRY(os::Dir::create(scratch + "/secrets", 0700));
  std::string name = fmt::format("s{}", n);
  KILN_TRY(os::write_file(sdir, name, content, 0400));
  fchownat(sdir.fd(), name.c_str(), m.uid.value_or(0), m.gid.value_or(0), 0);
  fchmodat(sdir.fd(), name.c_str(), m.mode.value_or(0400), 0);
  pm.mounts.push_back({sandbox::Mount::Kind::bind, scratch + "/secrets/" + name, target, true, ""});
  return true;
}

Result<PreparedMounts> prepare_mounts(BuildEnv& env, const dockerfile::Run& run,
                                      const std::string& scratch) {
  PreparedMounts pm;
  int n = 0;
  for (const auto& m : run.mounts) {
    ++n;
    std::string target = m.target;
    if (m.type == Mount::Type::secret && target.empty())
      target = "/run/secrets/" + (m.id.empty() ? std::string("") : m.id);
    if (target.empty() && m.type != Mount::Type::secret)
      return failf(Errc::invalid_argument, "--mount {}: a target is required", m.spec);
    if (!target.starts_with('/')) target = "/" + target;
    pm.key_text += "mount " + m.spec + "\n";
    switch (m.type) {
      case Mount::Type::cache:
        KILN_TRY(cache_mount(env, m, target, pm));
        break;
      case Mount::Type::tmpfs: {
        std::string opts = "mode=1777";
        if (m.size > 0) opts += fmt::format(",size={}", m.size);
        pm.mounts.push_back({sandbox::Mount::Kind::tmpfs, "", target, false, opts});
        break;
      }
      case Mount::Type::bind:
        KILN_TRY(bind_mount(env, m, target, n, scratch, pm));
        break;
      case Mount::Type::secret:
        if (!KILN_TRY(secret_mount(env, m, target, n, scratch, pm))) continue;
        break;
      case Mount::Type::ssh:
        return fail(Errc::unsupported,
                    "RUN --mount=type=ssh: SSH agent forwarding is not supported by kiln");
    }
    pm.targets.push_back(target);
  }
  return pm;
}

// Does `rel` exist in the tree's lower view? (Overlay: in some lower dir, and not whited out
// there. An approximation that ignores whiteouts of a parent in a higher layer: it errs toward
// "exists", which only means a created mount point is kept.)
bool exists_in(const WorkTree& tree, const std::string& rel) {
  auto present = [&](const std::string& dir) {
    auto d = os::Dir::open(dir);
    if (!d) return false;
    auto fd = d->open_in_root(rel, O_PATH | O_CLOEXEC | O_NOFOLLOW);
    if (!fd) return false;
    struct stat st {};
    return fstat(fd->get(), &st) == 0 && !(S_ISCHR(st.st_mode) && st.st_rdev == 0);
  };
  if (!tree.rootfs.overlay()) return present(tree.rootfs.dir);
  for (const auto& l : tree.rootfs.lowers)
    if (present(l)) return true;
  return false;
}

// The first component of each mount target that does not exist yet (a mount point the sandbox will
// create): removed after the run when it is still empty, as BuildKit does.
std::vector<std::string> missing_mount_points(const WorkTree& tree,
                                              const std::vector<std::string>& targets) {
  std::vector<std::string> out;
  for (const auto& t : targets) {
    std::string sofar;
    for (const auto& c : split(t, '/')) {
      if (c.empty()) continue;
      sofar += "/" + c;
      if (!exists_in(tree, sofar.substr(1))) {
        out.push_back(sofar.substr(1));
        break;
      }
    }
  }
  return out;
}

bool only_empty(const os::Dir& dir, const std::string& rel) {
  auto st = dir.stat(rel);
  if (!st) return false;
  if (S_ISREG(st->st_mode)) return st->st_size == 0;
  if (!S_ISDIR(st->st_mode)) return false;
  auto sub = dir.open_dir(rel);
  if (!sub) return false;
  auto names = sub->list();
  if (!names) return false;
  for (const auto& n : *names)
    if (!only_empty(*sub, n)) return false;
  return true;
}

std::string run_command_string(const StageState& s, const std::vector<std::string>& args) {
  std::vector<std::string> parts;
  if (!s.args.empty()) {
    parts.push_back(fmt::format("|{}", s.args.size()));
    for (const auto& [k, v] : s.args) parts.push_back(k + "=" + v);
  }
  parts.insert(parts.end(), args.begin(), args.end());
  return join(parts, " ");
}

// The command line. Shell form with heredocs goes to the shell with the heredocs inline;
// a bare "RUN <<EOF" runs the heredoc as the script.
std::vector<std::string> run_args(const StageState& s, const dockerfile::Run& run) {
  if (!run.cmd.prepend_shell) return run.cmd.args;
  std::string line = run.cmd.args.empty() ? "" : run.cmd.args[0];
  std::string script = line;
  if (!run.cmd.files.empty()) {
    std::string bare = std::string(trim(line));
    bool only_heredoc =
        run.cmd.files.size() == 1 && bare.starts_with("<<") && bare.find(' ') == std::string::npos;
    if (only_heredoc) {
      script = run.cmd.files[0].content;
    } else {
      for (const auto& h : run.cmd.files) script += "\n" + h.content + h.name;
    }
  }
  std::vector<std::string> args = s.shell;
  args.push_back(script);
  return args;
}

// The process environment: the config's Env, ARGs it does not override, and a PATH.
std::vector<std::string> run_env(const StageState& s, const oci::ContainerConfig& cfg) {
  std::vector<std::string> proc_env = cfg.env;
  auto envmap = config_env(s.config);
  for (const auto& [k, v] : s.args)
    if (!envmap.contains(k)) proc_env.push_back(k + "=" + v);
  if (std::none_of(proc_env.begin(), proc_env.end(),
                   [](const std::string& e) { return e.starts_with("PATH="); }))
    proc_env.insert(proc_env.begin(),
                    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin");
  return proc_env;
}

// The sandbox a RUN step runs in.
sandbox::SandboxSpec run_spec(const WorkTree& tree, const std::vector<std::string>& args,
                              const std::vector<std::string>& proc_env,
                              const oci::ContainerConfig& cfg, sandbox::Network network,
                              const PreparedMounts& pm, BuildEnv& env) {
  sandbox::SandboxSpec spec;
  spec.id = "build-" + container::new_container_id().substr(0, 12);
  spec.rootfs = tree.rootfs;
  spec.args = args;
  spec.env = proc_env;
  spec.env.insert(spec.env.end(), pm.env.begin(), pm.env.end());
  spec.cwd = cfg.working_dir.empty() ? "/" : cfg.working_dir;
  spec.user = cfg.user;
  spec.hostname = "buildkitsandbox";
  spec.network = network;
  spec.capabilities = sandbox::default_capabilities();
  spec.rlimits = {{RLIMIT_NOFILE, 1048576, 1048576}};
  spec.mounts = pm.mounts;
  spec.state_dir = tree.scratch + "/run";
  spec.kill_on_interrupt = true;
  spec.cancel = &env.cancelled;
  spec.etc_hosts =
      "127.0.0.1\tlocalhost buildkitsandbox\n::1\tlocalhost ip6-localhost ip6-loopback\n";
  auto resolv = os::read_file("/etc/resolv.conf");
  if (resolv) spec.resolv_conf = *resolv;
  return spec;
}

// A RUN whose process failed: docker build's message, the output's last lines, and a hint
// when the stage's programs are for another CPU.
Status run_failed(const sandbox::Outcome& outcome, const std::vector<std::string>& args,
                  const std::string& tail, const oci::ImageConfig& config) {
  std::string msg = fmt::format("process {:?} did not complete successfully: exit code: {}",
                                join(args, " "), outcome.exit_code);
  if (!outcome.exec_error.empty()) msg += "\n" + outcome.exec_error;
  if (outcome.exec_error.find("exec format error") != std::string::npos)
    msg += foreign_platform_hint(config);
  if (!tail.empty()) msg += "\n--- last lines of output ---\n" + tail;
  return fail(Errc::failed, msg);  // exit status 1, as docker build
}

}  // namespace

Status run_step(StageState& s, BuildEnv& env, const dockerfile::Run& run, int id) {
  std::vector<std::string> args = run_args(s, run);
  if (args.empty()) return fail(Errc::invalid_argument, "RUN has no command");
  auto& cfg =
      s.config.config ? *s.config.config : (s.config.config = oci::ContainerConfig{}).value();
  std::vector<std::string> proc_env = run_env(s, cfg);
  sandbox::Network network = env.opts.network;
  if (run.network == "none") network = sandbox::Network::none;
  if (run.network == "host") network = sandbox::Network::host;
  if (run.security == "insecure")
    return fail(Errc::unsupported, "RUN --security=insecure is not supported by kiln");

  std::string created_by = "RUN " + run_command_string(s, args) + " # buildkit";
  std::string key_text =
      fmt::format("RUN\n{}\nenv {}\nuser {}\ncwd {}\nnet {}\n", join(args, std::string(1, '\0')),
                  join(proc_env, "\n"), cfg.user, cfg.working_dir,
                  network == sandbox::Network::none ? "none" : "host");
  KILN_TRY(os::Dir::create(env.store.root() + "/tmp", 0700));
  std::string mounts_scratch = fmt::format("{}/tmp/run-{}-{}", env.store.root(), getpid(), id);
  auto scratch_dir = KILN_TRY(os::Dir::create(mounts_scratch, 0700));
  struct Cleanup {
    std::string path;
    ~Cleanup() {
      auto parent = os::Dir::open(path.substr(0, path.rfind('/')));
      if (parent) (void)parent->remove_all(path.substr(path.rfind('/') + 1));
    }
  } cleanup{mounts_scratch};
  auto pm = KILN_TRY(prepare_mounts(env, run, mounts_scratch));
  std::string key = chain_key(s.key, key_text + pm.key_text);
  if (KILN_TRY(use_cache(s, env, key, created_by, id))) return {};

  auto tree = KILN_TRY(env.trees.open(s.layers));
  std::vector<std::string> created = missing_mount_points(tree.get(), pm.targets);

  auto spec = run_spec(tree.get(), args, proc_env, cfg, network, pm, env);
  OutputPump pump(env.progress, id);
  KILN_TRY(pump.start());
  sandbox::Stdio stdio;
  stdio.out = pump.fd();
  stdio.err = pump.fd();
  auto outcome = env.executor.run(spec, stdio);
  std::string tail = pump.finish();
  if (!outcome) {
    if (outcome.error().code() == Errc::cancelled) env.cancelled = true;
    return with_context(Status(std::unexpected(outcome.error())), "RUN");
  }
  if (outcome->exit_code != 0) return run_failed(*outcome, args, tail, s.config);
  if (!created.empty()) {
    auto changes = os::Dir::open(tree->rootfs.overlay() ? tree->upper() : tree->rootfs.dir);
    if (changes)
      for (const auto& path : created)
        if (only_empty(*changes, path)) (void)changes->remove_all(path);
  }
  CommitOptions co{env.opts.compression, env.opts.source_date_epoch, s.commit_in_step};
  auto layer = KILN_TRY(tree.commit(co));
  return record_step(s, env, key, layer, created_by);
}

}  // namespace kiln::builder
