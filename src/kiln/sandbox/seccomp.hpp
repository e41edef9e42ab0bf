// Docker's default seccomp policy, through libseccomp.
//
// Docker's profile is an allow-list of ~350 system calls whose effect is that the calls its
// documentation lists as "blocked by the default profile" fail with EPERM, some of them unless
// the container holds the capability that guards them (CAP_SYS_ADMIN for mount, unshare, setns,
// ...; CAP_SYS_TIME for settimeofday, ...; CAP_SYS_MODULE for init_module, ...). kiln installs
// that effect as a deny-list: those calls fail with EPERM unless their capability is kept;
// clone() with namespace flags fails without CAP_SYS_ADMIN, and clone3() returns ENOSYS so the
// C library falls back to clone() (as Docker's profile does). System calls the kernel adds
// later are therefore allowed, where Docker's would refuse them.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/base/error.hpp"

namespace kiln::sandbox {

// One refusal of the policy: `syscall` fails with errno_ret; when clone_flag is set, only
// when that bit is set in the first argument.
struct SeccompDenial {
  std::string syscall;
  int errno_ret = 0;
  uint64_t clone_flag = 0;
};
// The policy for a process keeping these capabilities (also written into OCI runtime specs).
std::vector<SeccompDenial> default_seccomp_denials(uint64_t capability_mask);

// Loads the filter into the calling thread (inherited by children and across execve).
// capability_mask: the capabilities the process will keep. no_new_privs: libseccomp sets it as
// part of loading (otherwise the caller must hold CAP_SYS_ADMIN).
Status load_default_seccomp(uint64_t capability_mask, bool no_new_privs);

}  // namespace kiln::sandbox
