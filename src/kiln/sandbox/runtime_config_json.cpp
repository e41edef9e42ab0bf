#include "kiln/sandbox/runtime_config_json.hpp"

#include <sys/resource.h>

#include <map>

#include <nlohmann/json.hpp>

#include "kiln/sandbox/caps.hpp"
#include "kiln/sandbox/mount_plan.hpp"
#include "kiln/sandbox/seccomp.hpp"

namespace kiln::sandbox::detail {

namespace {

using json = nlohmann::json;

json mount(std::string type, std::string dest, std::string source, std::vector<std::string> opts) {
  return {{"destination", dest}, {"type", type}, {"source", source}, {"options", opts}};
}

json mounts_for(const SandboxSpec& spec) {
  json m = json::array();
  m.push_back(mount("proc", "/proc", "proc", {"nosuid", "noexec", "nodev"}));
  m.push_back(
      mount("tmpfs", "/dev", "tmpfs", {"nosuid", "strictatime", "mode=755", "size=65536k"}));
  m.push_back(mount("devpts", "/dev/pts", "devpts",
                    {"nosuid", "noexec", "newinstance", "ptmxmode=0666", "mode=0620", "gid=5"}));
  m.push_back(
      mount("tmpfs", "/dev/shm", "shm", {"nosuid", "noexec", "nodev", "mode=1777", "size=65536k"}));
  m.push_back(mount("mqueue", "/dev/mqueue", "mqueue", {"nosuid", "noexec", "nodev"}));
  if (spec.network == Network::none)
    m.push_back(mount("sysfs", "/sys", "sysfs", {"nosuid", "noexec", "nodev", "ro"}));
  else
    m.push_back(mount("bind", "/sys", "/sys", {"rbind", "nosuid", "noexec", "nodev", "ro"}));
  m.push_back(mount("bind", "/etc/hostname", spec.state_dir + "/hostname", {"rbind", "rprivate"}));
  if (!spec.etc_hosts.empty())
    m.push_back(mount("bind", "/etc/hosts", spec.state_dir + "/hosts", {"rbind", "rprivate"}));
  if (!spec.resolv_conf.empty())
    m.push_back(
        mount("bind", "/etc/resolv.conf", spec.state_dir + "/resolv.conf", {"rbind", "rprivate"}));
  for (const auto& v : spec.mounts) {
    if (v.kind == Mount::Kind::tmpfs) {
      std::vector<std::string> o = {"nosuid", "nodev", "noexec"};
      for (const auto& x : std::vector<std::string>{v.options.empty() ? "mode=1777" : v.options})
        o.push_back(x);
      if (v.readonly) o.push_back("ro");
      m.push_back(mount("tmpfs", v.target, "tmpfs", o));
    } else {
      std::vector<std::string> o = {"rbind", "rprivate"};
      if (v.readonly) o.push_back("ro");
      m.push_back(mount("bind", v.target, v.source, o));
    }
  }
  return m;
}

json seccomp_for(uint64_t caps) {
  json syscalls = json::array();
  for (const auto& d : default_seccomp_denials(caps)) {
    json rule = {{"names", {d.syscall}}, {"action", "SCMP_ACT_ERRNO"}, {"errnoRet", d.errno_ret}};
    if (d.clone_flag)
      rule["args"] = {{{"index", 0},
                       {"value", d.clone_flag},
                       {"valueTwo", d.clone_flag},
                       {"op", "SCMP_CMP_MASKED_EQ"}}};
    syscalls.push_back(rule);
  }
  return {{"defaultAction", "SCMP_ACT_ALLOW"}, {"syscalls", syscalls}};
}

}  // namespace

Result<std::string> runtime_config(const SandboxSpec& spec, const ResolvedUser& user,
                                   const std::string& init) {
  uint64_t caps = KILN_TRY(capability_mask(spec.capabilities));
  json kept = user.uid == 0 ? json(spec.capabilities) : json::array();
  json rlimits = json::array();
  static const std::map<int, std::string> names = {{RLIMIT_NOFILE, "RLIMIT_NOFILE"},
                                                   {RLIMIT_NPROC, "RLIMIT_NPROC"},
                                                   {RLIMIT_CORE, "RLIMIT_CORE"},
                                                   {RLIMIT_STACK, "RLIMIT_STACK"}};
  for (const auto& r : spec.rlimits) {
    struct rlimit cur {};
    getrlimit(r.resource, &cur);
    // runc cannot raise the hard limit without CAP_SYS_RESOURCE either: clamp like the
    // built-in executor does.
    uint64_t hard = std::min<uint64_t>(r.hard, cur.rlim_max);
    if (auto it = names.find(r.resource); it != names.end())
      rlimits.push_back({{"type", it->second}, {"hard", hard}, {"soft", std::min(r.soft, hard)}});
  }
  json ns = {{{"type", "pid"}}, {{"type", "ipc"}}, {{"type", "uts"}}, {{"type", "mount"}}};
  if (spec.network == Network::none) ns.push_back({{"type", "network"}});
  json maps = json::array({{{"containerID", 0}, {"hostID", 0}, {"size", 4294967295u}}});
  json linux_section = {
      {"namespaces", ns}, {"maskedPaths", masked_paths()}, {"readonlyPaths", readonly_paths()}};
  if (spec.seccomp) linux_section["seccomp"] = seccomp_for(caps);
  if (spec.user_namespace) {
    linux_section["namespaces"].push_back({{"type", "user"}});
    linux_section["uidMappings"] = maps;
    linux_section["gidMappings"] = maps;
  }
  std::vector<std::string> args = {"/dev/init", "--"};
  args.insert(args.end(), spec.args.begin(), spec.args.end());
  json mounts = mounts_for(spec);
  mounts.push_back(mount("bind", "/dev/init", init, {"rbind", "ro", "nosuid", "nodev"}));
  json config = {{"ociVersion", "1.0.2"},
                 {"process",
                  {{"terminal", spec.tty},
                   {"user",
                    {{"uid", user.uid},
                     {"gid", user.gid},
                     {"umask", spec.umask},
                     {"additionalGids", user.groups}}},
                   {"args", args},
                   {"env", spec.env},
                   {"cwd", spec.cwd},
                   {"capabilities",
                    {{"bounding", spec.capabilities},
                     {"effective", kept},
                     {"permitted", kept},
                     {"inheritable", kept}}},
                   {"rlimits", rlimits},
                   {"noNewPrivileges", spec.no_new_privs}}},
                 {"root", {{"path", "rootfs"}, {"readonly", spec.readonly_rootfs}}},
                 {"hostname", spec.hostname},
                 {"mounts", mounts},
                 {"linux", linux_section}};
  return config.dump(2);
}

}  // namespace kiln::sandbox::detail
