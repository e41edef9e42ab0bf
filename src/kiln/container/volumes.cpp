#include "kiln/container/volumes.hpp"

#include <fcntl.h>
#include <sched.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>

#include "kiln/dockerfile/dockerignore.hpp"
#include "kiln/os/dir.hpp"
#include "kiln/sandbox/mount_exec.hpp"

namespace kiln::container {
namespace {

// Runs `cp -a ./. DEST` in `cwd_fd`: the image's directory, opened inside its root.
Status copy_contents(int cwd_fd, const std::string& dest) {
  pid_t p = fork();
  if (p < 0) return fail_errno("fork");
  if (p == 0) {
    if (fchdir(cwd_fd) != 0) _exit(126);
    execlp("cp", "cp", "-a", "--reflink=auto", "./.", dest.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  int status = 0;
  while (waitpid(p, &status, 0) < 0 && errno == EINTR) {
  }
  if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
    return failf(Errc::io, "copy the image's content into the volume {}", dest);
  return {};
}

// In a child with a mount namespace of its own: mounts the root filesystem and copies each
// volume path's content into its volume directory.
Status seed(const sandbox::RootFs& rootfs, const std::string& mount_point,
            const std::vector<std::pair<std::string, std::string>>& volumes) {
  return sandbox::in_private_mount_namespace([&]() -> Status {
    KILN_TRY(sandbox::mount_rootfs(rootfs, mount_point));
    auto root = KILN_TRY(os::Dir::open(mount_point));
    for (const auto& [target, dir] : volumes) {
      auto fd = root.open_in_root(target, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
      if (!fd) continue;  // not in the image (or not a directory): the volume starts empty
      KILN_TRY(copy_contents(fd->get(), dir));
    }
    return {};
  });
}

}  // namespace

Result<std::vector<sandbox::Mount>> make_image_volumes(const std::vector<std::string>& volumes,
                                                       const std::vector<sandbox::Mount>& user,
                                                       const sandbox::RootFs& rootfs,
                                                       const std::string& container_dir) {
  std::vector<sandbox::Mount> out;
  std::vector<std::pair<std::string, std::string>> to_seed;
  for (const auto& v : volumes) {
    std::string target = dockerfile::go_clean("/" + v);
    bool taken = std::any_of(user.begin(), user.end(), [&](const sandbox::Mount& m) {
      return dockerfile::go_clean("/" + m.target) == target;
    });
    if (taken) continue;
    if (out.empty()) KILN_TRY(os::Dir::create(container_dir + "/volumes", 0700));
    std::string name = std::to_string(out.size());
    std::string dir = container_dir + "/volumes/" + name;
    KILN_TRY(os::Dir::create(dir, 0755));
    out.push_back({sandbox::Mount::Kind::bind, dir, target, false, ""});
    to_seed.emplace_back(target, dir);
  }
  if (to_seed.empty()) return out;
  std::string mount_point = container_dir + "/volumes/.rootfs";
  KILN_TRY(os::Dir::create(mount_point, 0700));
  KILN_TRY_CTX(seed(rootfs, mount_point, to_seed), "VOLUME");
  return out;
}

}  // namespace kiln::container
