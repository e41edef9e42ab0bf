#include "kiln/container/record_json.hpp"

#include <nlohmann/json.hpp>

#include "kiln/base/json_depth.hpp"

namespace kiln::container {

using json = nlohmann::json;

std::string serialize_record(const ContainerRecord& c) {
  json j = {{"id", c.id},
            {"image", c.image},
            {"image_id", c.image_id},
            {"command", c.command},
            {"created", c.created},
            {"status", c.status},
            {"exit_code", c.exit_code},
            {"finished", c.finished},
            {"pid", c.pid},
            {"pid_start", c.pid_start},
            {"auto_remove", c.auto_remove},
            {"runtime", c.runtime},
            {"snapshotter", c.snapshotter},
            {"lowers", c.lowers}};
  return j.dump(2, ' ', false, json::error_handler_t::replace);
}

namespace {

// Sets `out` from member `key`; false (naming the member in `missing`) when it is absent or
// of another type.
template <class T>
bool take(const json& j, const char* key, T& out, std::string& missing) {
  auto v = json_member<T>(j, key);
  if (!v) {
    if (missing.empty()) missing = key;
    return false;
  }
  out = std::move(*v);
  return true;
}

}  // namespace

Result<ContainerRecord> parse_record(std::string_view text, std::string_view where) {
  KILN_TRY(check_json_depth(text, where));
  json j = json::parse(text.begin(), text.end(), nullptr, false);
  if (!j.is_object()) return failf(Errc::corrupt, "{}: not a JSON object", where);
  ContainerRecord c;
  std::string missing;
  take(j, "id", c.id, missing);
  take(j, "image", c.image, missing);
  take(j, "image_id", c.image_id, missing);
  take(j, "command", c.command, missing);
  take(j, "created", c.created, missing);
  take(j, "status", c.status, missing);
  take(j, "exit_code", c.exit_code, missing);
  take(j, "pid", c.pid, missing);
  take(j, "pid_start", c.pid_start, missing);
  take(j, "auto_remove", c.auto_remove, missing);
  take(j, "runtime", c.runtime, missing);
  if (!missing.empty())
    return failf(Errc::corrupt, "{}: \"{}\" is missing or not of its type", where, missing);
  // Members later versions added: older records lack them.
  c.finished = json_member<int64_t>(j, "finished").value_or(0);
  c.snapshotter = json_member<std::string>(j, "snapshotter").value_or("overlay");
  c.lowers =
      json_member<std::vector<std::string>>(j, "lowers").value_or(std::vector<std::string>{});
  return c;
}

}  // namespace kiln::container
