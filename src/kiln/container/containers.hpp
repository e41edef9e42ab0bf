// Containers: what `kiln run` keeps of a run without --rm, listed by `kiln ps`, removed by
// `kiln rm`, turned into an image by `kiln commit`. Each lives in containers/<id>/ (see
// store/paths.hpp) with a state.json written atomically.
//
// A container whose kiln process died (kill -9, power loss) is found by sweep_containers()
// (its recorded PID is gone or belongs to another process): it is marked exited, what the OCI
// runtime kept of it is deleted, and it is removed when it was started with --rm.
#pragma once

#include <string>
#include <vector>

#include "kiln/store/store.hpp"

namespace kiln::container {

struct ContainerRecord {
  std::string id;        // 64 hex digits
  std::string image;     // as the user named it
  std::string image_id;  // manifest digest
  std::vector<std::string> command;
  int64_t created = 0;
  std::string status = "created";  // created | running | exited
  int exit_code = 0;               // -1 when kiln died before it saw the end
  int64_t finished = 0;
  int64_t pid = 0;        // the kiln process that runs it
  int64_t pid_start = 0;  // that process's start time (a reused PID is not mistaken for it)
  bool auto_remove = false;
  std::string runtime = "builtin";
  std::string snapshotter = "overlay";
  std::vector<std::string> lowers;  // snapshot dirs the container uses
};

std::string new_container_id();
std::string container_dir(const store::Store& store, std::string_view id);

// Writes state.json (creating the directory).
Status save_container(store::Store& store, const ContainerRecord& c);
// Every container, oldest first, after sweeping stale ones.
Result<std::vector<ContainerRecord>> list_containers(store::Store& store);
// By full ID or unique prefix.
Result<ContainerRecord> find_container(store::Store& store, std::string_view id);
// Refuses a running container unless force (then it is killed first).
Status remove_container(store::Store& store, const ContainerRecord& c, bool force);
Status sweep_containers(store::Store& store);

// Marks this process as the container's runner (status running, pid, start time).
Status mark_running(store::Store& store, ContainerRecord& c);

// PID liveness as the sweep sees it.
int64_t process_start_time(int64_t pid);  // 0 when the process does not exist

}  // namespace kiln::container
