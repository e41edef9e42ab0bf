// What a sandboxed process is to be: its root filesystem, mounts, identity, environment,
// namespaces, privileges and limits. A SandboxSpec is plain data (plan first, DESIGN.md habit 5);
// an Executor turns it into a running process and waits for it.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <cstdint>
#include <string>
#include <vector>

#include "kiln/base/error.hpp"

namespace kiln::sandbox {

// The root filesystem: either overlayfs (read-only lower dirs, bottom first, under a writable
// upper dir) or a plain directory used as it is (the copy fallback).
struct RootFs {
  std::vector<std::string> lowers;  // bottom layer first
  std::string upper, work;          // both empty for a plain directory
  std::string dir;                  // a plain directory (used when lowers is empty)
  // Mount the overlay with "volatile" (Linux 5.10+; without it where the kernel refuses): its
  // unmount then does not sync the whole upper filesystem. For uppers that are never mounted
  // again as uppers (a build step's, which becomes a snapshot: snapshots are caches made again
  // from the store's blobs, never fsynced).
  bool volatile_upper = false;
  bool overlay() const { return !lowers.empty(); }
};

struct Mount {
  enum class Kind { bind, tmpfs } kind = Kind::bind;
  std::string source;  // host path (bind)
  std::string target;  // path inside the sandbox; resolved inside its root
  bool readonly = false;
  std::string options;  // tmpfs options ("size=64m,mode=1777")
};

enum class Network { none, host };

struct Rlimit {
  int resource = 0;
  uint64_t soft = 0, hard = 0;
};

struct SandboxSpec {
  RootFs rootfs;
  bool readonly_rootfs = false;
  std::vector<std::string> args;  // args[0] is looked up in the sandbox's PATH
  std::vector<std::string> env;   // "K=V"
  std::string cwd = "/";          // created (owned by root) when missing
  std::string user;               // "", "name", "uid", "name:group", "uid:gid"
  std::string hostname = "kiln";
  Network network = Network::none;
  // A user namespace of its own, mapping every id to itself: the process's capabilities then
  // hold only over its own namespaces (it cannot, say, set the host clock even with
  // CAP_SYS_TIME added), while the image's files keep their owners.
  bool user_namespace = false;
  std::vector<std::string> capabilities;  // "CAP_CHOWN", ...: the whole set the process keeps
  bool no_new_privs = true;
  bool seccomp = true;  // Docker's default profile (see seccomp.hpp)
  mode_t umask = 022;
  std::vector<Rlimit> rlimits;
  std::vector<Mount> mounts;
  bool tty = false;                // give the process a pseudo-terminal
  std::string state_dir;           // per-run scratch directory kiln owns (hosts files, mount point)
  std::string id;                  // container ID (runtimes want one)
  bool kill_on_interrupt = false;  // SIGINT/SIGTERM to kiln kill the sandbox instead of being
                                   // forwarded (a build step is cancelled, not signalled)
  const std::atomic<bool>* cancel = nullptr;  // when it becomes true, the sandbox is killed
                                              // (another build stage failed or saw Ctrl-C)
  std::string etc_hosts;    // contents of /etc/hosts, /etc/resolv.conf inside the sandbox
  std::string resolv_conf;  // (empty: not provided)
};

// Host file descriptors for the process's stdin, stdout and stderr (-1: /dev/null).
struct Stdio {
  int in = -1, out = 1, err = 2;
};

struct Outcome {
  int exit_code = 0;         // the process's status; 128+N when killed by signal N
  std::string exec_error;    // set when the command could not be started (exit_code 126/127)
  bool interrupted = false;  // kill_on_interrupt fired
};

// Runs a SandboxSpec to completion. Setup failures are Errors; a process that ran (or whose
// command was missing) is an Outcome. While it waits, SIGINT, SIGTERM, SIGHUP, SIGQUIT, SIGUSR1
// and SIGUSR2 sent to kiln are forwarded to the process; a second SIGINT/SIGTERM kills it.
// Everything the run mounted lives in its own mount namespace and disappears with it.
class Executor {
 public:
  virtual ~Executor() = default;
  virtual std::string_view name() const = 0;
  virtual Result<Outcome> run(const SandboxSpec& spec, const Stdio& stdio) = 0;
};

}  // namespace kiln::sandbox
