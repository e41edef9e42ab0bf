#include "kiln/sandbox/seccomp.hpp"

#include <sched.h>
#include <seccomp.h>

#include <cerrno>
#include <string_view>

#include "kiln/sandbox/caps.hpp"

namespace kiln::sandbox {

namespace {

struct Rule {
  std::string_view syscall;
  std::string_view allowed_with;  // capability that lifts the block; "" = always blocked
};

// Docker's documentation, "Significant syscalls blocked by the default profile".
constexpr Rule k_rules[] = {
    {"acct", "SYS_PACCT"},
    {"add_key", ""},
    {"bpf", "SYS_ADMIN"},
    {"clock_adjtime", "SYS_TIME"},
    {"clock_settime", "SYS_TIME"},
    {"create_module", "SYS_MODULE"},
    {"delete_module", "SYS_MODULE"},
    {"finit_module", "SYS_MODULE"},
    {"get_kernel_syms", ""},
    {"get_mempolicy", "SYS_NICE"},
    {"init_module", "SYS_MODULE"},
    {"ioperm", "SYS_RAWIO"},
    {"iopl", "SYS_RAWIO"},
    {"kcmp", "SYS_PTRACE"},
    {"kexec_file_load", "SYS_BOOT"},
    {"kexec_load", "SYS_BOOT"},
    {"keyctl", ""},
    {"lookup_dcookie", "SYS_ADMIN"},
    {"mbind", "SYS_NICE"},
    {"mount", "SYS_ADMIN"},
    {"move_pages", "SYS_NICE"},
    {"name_to_handle_at", "SYS_ADMIN"},
    {"nfsservctl", ""},
    {"open_by_handle_at", "DAC_READ_SEARCH"},
    {"perf_event_open", "SYS_ADMIN"},
    {"pivot_root", "SYS_ADMIN"},
    {"process_vm_readv", "SYS_PTRACE"},
    {"process_vm_writev", "SYS_PTRACE"},
    {"query_module", ""},
    {"quotactl", "SYS_ADMIN"},
    {"reboot", "SYS_BOOT"},
    {"request_key", ""},
    {"set_mempolicy", "SYS_NICE"},
    {"setns", "SYS_ADMIN"},
    {"settimeofday", "SYS_TIME"},
    {"stime", "SYS_TIME"},
    {"swapon", "SYS_ADMIN"},
    {"swapoff", "SYS_ADMIN"},
    {"sysfs", ""},
    {"_sysctl", ""},
    {"umount", "SYS_ADMIN"},
    {"umount2", "SYS_ADMIN"},
    {"unshare", "SYS_ADMIN"},
    {"uselib", ""},
    {"userfaultfd", ""},
    {"ustat", ""},
    {"vm86", ""},
    {"vm86old", ""},
    {"fsopen", "SYS_ADMIN"},
    {"fsconfig", "SYS_ADMIN"},
    {"fsmount", "SYS_ADMIN"},
    {"fspick", "SYS_ADMIN"},
    {"move_mount", "SYS_ADMIN"},
    {"open_tree", "SYS_ADMIN"},
    {"syslog", "SYSLOG"},
    {"vhangup", "SYS_TTY_CONFIG"},
    {"fanotify_init", "SYS_ADMIN"},
    {"setdomainname", "SYS_ADMIN"},
    {"sethostname", "SYS_ADMIN"},
};

constexpr uint64_t k_namespace_flags[] = {CLONE_NEWNS,  CLONE_NEWUTS, CLONE_NEWIPC,   CLONE_NEWUSER,
                                          CLONE_NEWPID, CLONE_NEWNET, CLONE_NEWCGROUP};

bool has(uint64_t mask, std::string_view cap) {
  auto n = capability_number(cap);
  return n && (mask & (uint64_t{1} << *n));
}

}  // namespace

std::vector<SeccompDenial> default_seccomp_denials(uint64_t capability_mask) {
  std::vector<SeccompDenial> out;
  for (const auto& r : k_rules)
    if (r.allowed_with.empty() || !has(capability_mask, r.allowed_with))
      out.push_back({std::string(r.syscall), EPERM, 0});
  if (!has(capability_mask, "SYS_ADMIN"))
    for (uint64_t flag : k_namespace_flags) out.push_back({"clone", EPERM, flag});
  out.push_back({"clone3", ENOSYS, 0});
  return out;
}

Status load_default_seccomp(uint64_t capability_mask, bool no_new_privs) {
  scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
  if (!ctx) return fail(Errc::internal, "seccomp_init failed");
  struct Release {
    scmp_filter_ctx c;
    ~Release() { seccomp_release(c); }
  } release{ctx};
  if (seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, no_new_privs ? 1 : 0) != 0)
    return fail(Errc::internal, "seccomp: cannot set the no_new_privs attribute");
  for (const auto& d : default_seccomp_denials(capability_mask)) {
    int nr = seccomp_syscall_resolve_name(d.syscall.c_str());
    if (nr == __NR_SCMP_ERROR) continue;  // not on this architecture
    int rc = d.clone_flag
                 ? seccomp_rule_add(ctx, SCMP_ACT_ERRNO(d.errno_ret), nr, 1,
                                    SCMP_A0(SCMP_CMP_MASKED_EQ, d.clone_flag, d.clone_flag))
                 : seccomp_rule_add(ctx, SCMP_ACT_ERRNO(d.errno_ret), nr, 0);
    if (rc != 0 && rc != -EEXIST)
      return failf(Errc::internal, "seccomp: rule for {}: error {}", d.syscall, -rc);
  }
  if (int rc = seccomp_load(ctx); rc != 0)
    return failf(Errc::permission_denied, "seccomp: loading the filter failed: error {}", -rc);
  return {};
}

}  // namespace kiln::sandbox
