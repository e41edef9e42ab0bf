#include "kiln/sandbox/users.hpp"

#include <algorithm>

#include "kiln/base/strings.hpp"

namespace kiln::sandbox {

namespace {

struct PasswdEntry {
  std::string name;
  uint32_t uid = 0, gid = 0;
  std::string home;
};

struct GroupEntry {
  std::string name;
  uint32_t gid = 0;
  std::vector<std::string> members;
};

std::optional<uint32_t> number(std::string_view s) {
  auto v = parse_int(s);
  if (!v || *v < 0 || *v > 0x7fffffff) return std::nullopt;
  return static_cast<uint32_t>(*v);
}

std::vector<PasswdEntry> parse_passwd(std::string_view text) {
  std::vector<PasswdEntry> out;
  for (auto line : split(text, '\n')) {
    if (line.empty() || line.starts_with("#")) continue;
    auto f = split(line, ':');
    if (f.size() < 4) continue;
    auto uid = number(f[2]);
    auto gid = number(f[3]);
    if (!uid || !gid) continue;
    out.push_back({std::string(f[0]), *uid, *gid, f.size() > 5 ? std::string(f[5]) : "/"});
  }
  return out;
}

std::vector<GroupEntry> parse_group(std::string_view text) {
  std::vector<GroupEntry> out;
  for (auto line : split(text, '\n')) {
    if (line.empty() || line.starts_with("#")) continue;
    auto f = split(line, ':');
    if (f.size() < 3) continue;
    auto gid = number(f[2]);
    if (!gid) continue;
    GroupEntry g{std::string(f[0]), *gid, {}};
    if (f.size() > 3)
      for (auto m : split(f[3], ','))
        if (!trim(m).empty()) g.members.emplace_back(trim(m));
    out.push_back(std::move(g));
  }
  return out;
}

}  // namespace

Result<ResolvedUser> resolve_user(std::string_view spec, std::string_view passwd,
                                  std::string_view group) {
  auto users = parse_passwd(passwd);
  auto groups = parse_group(group);
  std::string_view user_part = spec, group_part;
  if (auto colon = spec.find(':'); colon != std::string_view::npos) {
    user_part = spec.substr(0, colon);
    group_part = spec.substr(colon + 1);
    if (group_part.empty())
      return failf(Errc::invalid_argument, "invalid user {:?}: empty group", std::string(spec));
  }
  if (user_part.empty()) user_part = "0";

  ResolvedUser r;
  std::string user_name;
  const PasswdEntry* found = nullptr;
  if (auto n = number(user_part)) {
    r.uid = *n;
    for (const auto& u : users)
      if (u.uid == *n) {
        found = &u;
        break;
      }
  } else {
    for (const auto& u : users)
      if (u.name == user_part) {
        found = &u;
        break;
      }
    if (!found)
      return failf(Errc::not_found, "unable to find user {}: no matching entries in passwd file",
                   std::string(user_part));
    r.uid = found->uid;
  }
  if (found) {
    r.gid = found->gid;
    r.home = found->home.empty() ? "/" : found->home;
    user_name = found->name;
  }
  if (!group_part.empty()) {
    if (auto n = number(group_part)) {
      r.gid = *n;
    } else {
      auto it = std::find_if(groups.begin(), groups.end(),
                             [&](const GroupEntry& g) { return g.name == group_part; });
      if (it == groups.end())
        return failf(Errc::not_found, "unable to find group {}: no matching entries in group file",
                     std::string(group_part));
      r.gid = it->gid;
    }
  } else if (!user_name.empty()) {
    // Supplementary groups come from membership lists, only when no group was named (as
    // Docker does).
    for (const auto& g : groups)
      if (std::find(g.members.begin(), g.members.end(), user_name) != g.members.end() &&
          g.gid != r.gid && std::find(r.groups.begin(), r.groups.end(), g.gid) == r.groups.end())
        r.groups.push_back(g.gid);
  }
  return r;
}

}  // namespace kiln::sandbox
