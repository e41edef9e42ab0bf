// The floor for `kiln run --rm IMAGE true` on this machine: one clone into new mount, PID, UTS,
// IPC and network namespaces, a private bind of a prepared root filesystem, /proc, pivot_root
// and execve, then wait. No image lookup, no overlay, no /dev, no seccomp or capabilities, no
// container record: the least a container start can cost here.
// Usage: run_floor ROOTFS COMMAND [ARG...]
#define _GNU_SOURCE
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mount.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static char** args;
static const char* root;

static int child(void* unused) {
  (void)unused;
  if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) ||
      mount(root, root, NULL, MS_BIND | MS_REC, NULL) || chdir(root) ||
      mount("proc", "proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC, NULL) ||
      syscall(SYS_pivot_root, ".", ".") || umount2(".", MNT_DETACH) || chdir("/")) {
    perror("run_floor: setup");
    return 125;
  }
  execv(args[0], args);
  perror("run_floor: exec");
  return 127;
}

int main(int argc, char** argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: run_floor ROOTFS COMMAND [ARG...]\n");
    return 2;
  }
  root = argv[1];
  args = argv + 2;
  static char stack[1 << 16];
  int flags = CLONE_NEWNS | CLONE_NEWPID | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWNET | SIGCHLD;
  pid_t pid = clone(child, stack + sizeof stack, flags, NULL);
  if (pid < 0) {
    perror("run_floor: clone");
    return 125;
  }
  int status = 0;
  if (waitpid(pid, &status, 0) < 0) return 125;
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
