#include "kiln/container/containers.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <algorithm>
#include <random>

#include "kiln/base/strings.hpp"
#include "kiln/container/record_json.hpp"
#include "kiln/sandbox/runtime_executor.hpp"
#include "kiln/store/paths.hpp"

namespace kiln::container {

namespace {

std::string containers_root(const store::Store& store) {
  return store.root() + "/" + std::string(store::paths::containers_dir);
}

Result<ContainerRecord> load(const store::Store& store, const std::string& id) {
  std::string path = container_dir(store, id) + "/state.json";
  auto text = KILN_TRY(os::read_file(path));
  return parse_record(text, path);
}

bool alive(const ContainerRecord& c) {
  return c.pid > 0 && process_start_time(c.pid) == c.pid_start;
}

}  // namespace

int64_t process_start_time(int64_t pid) {
  auto stat = os::read_file(fmt::format("/proc/{}/stat", pid));
  if (!stat) return 0;
  // Field 22 (starttime), counted after the ")" that ends the command name.
  auto close = stat->rfind(')');
  if (close == std::string::npos) return 0;
  auto fields = split(std::string_view(*stat).substr(close + 2), ' ');
  if (fields.size() < 20) return 0;
  return parse_int(fields[19]).value_or(0);
}

std::string new_container_id() {
  std::random_device rd;
  std::string id;
  while (id.size() < 64) id += fmt::format("{:08x}", rd());
  return id.substr(0, 64);
}

std::string container_dir(const store::Store& store, std::string_view id) {
  return containers_root(store) + "/" + std::string(id);
}

Status save_container(store::Store& store, const ContainerRecord& c) {
  auto dir = KILN_TRY(os::Dir::create(container_dir(store, c.id), 0700));
  // Not fsynced: after a crash the sweep corrects whatever state the file was left in.
  return os::write_file_atomic(dir, "state.json", serialize_record(c), 0600, false);
}

Status mark_running(store::Store& store, ContainerRecord& c) {
  c.status = "running";
  c.pid = getpid();
  c.pid_start = process_start_time(c.pid);
  return save_container(store, c);
}

Status sweep_containers(store::Store& store) {
  auto root = os::Dir::open(containers_root(store));
  if (!root) return {};
  for (const auto& name : KILN_TRY(root->list())) {
    auto c = load(store, name);
    if (!c) {
      // A directory without a readable state.json is a container whose creation was
      // interrupted before it was recorded.
      auto st = root->stat(name);
      if (st && store::now_seconds() - st->st_mtime > 60) (void)root->remove_all(name);
      continue;
    }
    if (c->status != "running" || alive(*c)) continue;
    if (c->runtime != "builtin")
      sandbox::cleanup_runtime(c->runtime, container_dir(store, c->id) + "/run", c->id);
    if (c->auto_remove) {
      KILN_TRY(root->remove_all(name));
      continue;
    }
    c->status = "exited";
    c->exit_code = -1;
    c->finished = store::now_seconds();
    KILN_TRY(save_container(store, *c));
  }
  return {};
}

Result<std::vector<ContainerRecord>> list_containers(store::Store& store) {
  KILN_TRY(sweep_containers(store));
  std::vector<ContainerRecord> out;
  auto root = os::Dir::open(containers_root(store));
  if (!root) return out;
  for (const auto& name : KILN_TRY(root->list()))
    if (auto c = load(store, name)) out.push_back(std::move(*c));
  std::sort(out.begin(), out.end(), [](const ContainerRecord& a, const ContainerRecord& b) {
    return a.created != b.created ? a.created < b.created : a.id < b.id;
  });
  return out;
}

Result<ContainerRecord> find_container(store::Store& store, std::string_view id) {
  if (id.empty()) return fail(Errc::invalid_argument, "empty container ID");
  auto all = KILN_TRY(list_containers(store));
  std::vector<ContainerRecord> hits;
  for (auto& c : all)
    if (c.id.starts_with(id)) hits.push_back(c);
  if (hits.empty()) return failf(Errc::not_found, "no such container: {}", std::string(id));
  if (hits.size() > 1)
    return failf(Errc::invalid_argument, "container ID prefix {:?} is ambiguous ({} matches)",
                 std::string(id), hits.size());
  return hits.front();
}

Status remove_container(store::Store& store, const ContainerRecord& c, bool force) {
  if (c.status == "running" && alive(c)) {
    if (!force)
      return failf(Errc::conflict,
                   "container {} is running: stop it first, or remove it with --force",
                   short_id(c.id));
    // The runner's children die with it (PR_SET_PDEATHSIG).
    kill(static_cast<pid_t>(c.pid), SIGKILL);
    for (int i = 0; i < 100 && process_start_time(c.pid) == c.pid_start; ++i) usleep(20000);
    if (c.runtime != "builtin")
      sandbox::cleanup_runtime(c.runtime, container_dir(store, c.id) + "/run", c.id);
  }
  auto root = KILN_TRY(os::Dir::open(containers_root(store)));
  return root.remove_all(c.id);
}

}  // namespace kiln::container
