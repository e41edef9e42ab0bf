// RUN --mount specs and Go durations.
#include <cmath>

#include "kiln/base/strings.hpp"
#include "kiln/dockerfile/flags.hpp"
#include "kiln/dockerfile/instructions.hpp"

namespace kiln::dockerfile {

namespace {

// encoding/csv's Read of one record: fields split on ',', "..." quoting with "" escapes.
Result<std::vector<std::string>> csv_fields(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  size_t i = 0;
  while (true) {
    cur.clear();
    if (i < s.size() && s[i] == '"') {
      ++i;
      while (true) {
        if (i >= s.size())
          return fail(Errc::invalid_argument, "extraneous or missing \" in quoted-field");
        if (s[i] == '"') {
          if (i + 1 < s.size() && s[i + 1] == '"') {
            cur += '"';
            i += 2;
            continue;
          }
          ++i;
          break;
        }
        cur += s[i++];
      }
      if (i < s.size() && s[i] != ',')
        return fail(Errc::invalid_argument, "extraneous or missing \" in quoted-field");
    } else {
      while (i < s.size() && s[i] != ',') {
        if (s[i] == '"') return fail(Errc::invalid_argument, "bare \" in non-quoted-field");
        cur += s[i++];
      }
    }
    out.push_back(cur);
    if (i >= s.size()) return out;
    ++i;  // ','
  }
}

std::optional<bool> go_bool(std::string_view v) {
  if (v == "1" || v == "t" || v == "T" || v == "TRUE" || v == "true" || v == "True") return true;
  if (v == "0" || v == "f" || v == "F" || v == "FALSE" || v == "false" || v == "False")
    return false;
  return std::nullopt;
}

// docker's units.RAMInBytes: "64m", "1.5g", "512" (binary multiples).
std::optional<int64_t> ram_in_bytes(std::string_view s) {
  size_t i = 0;
  while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
  if (i == 0) return std::nullopt;
  double n = std::strtod(std::string(s.substr(0, i)).c_str(), nullptr);
  std::string unit = to_lower(s.substr(i));
  if (unit.ends_with("ib"))
    unit = unit.substr(0, unit.size() - 2);
  else if (unit.ends_with('b'))
    unit.pop_back();
  double m = 1;
  if (unit.empty())
    m = 1;
  else if (unit == "k")
    m = 1024.0;
  else if (unit == "m")
    m = 1024.0 * 1024;
  else if (unit == "g")
    m = 1024.0 * 1024 * 1024;
  else if (unit == "t")
    m = 1024.0 * 1024 * 1024 * 1024;
  else
    return std::nullopt;
  double bytes = n * m;
  if (!(bytes >= 0 && bytes < 9.2e18)) return std::nullopt;
  return static_cast<int64_t>(bytes);
}

const std::vector<std::string> k_mount_keys = {
    "type", "from",     "source", "src",       "target", "dst",      "destination",
    "dest", "readonly", "ro",     "readwrite", "rw",     "required", "size",
    "id",   "sharing",  "mode",   "uid",       "gid",    "env"};

}  // namespace

std::string_view mount_type_name(Mount::Type t) {
  switch (t) {
    case Mount::Type::bind:
      return "bind";
    case Mount::Type::cache:
      return "cache";
    case Mount::Type::tmpfs:
      return "tmpfs";
    case Mount::Type::secret:
      return "secret";
    case Mount::Type::ssh:
      return "ssh";
  }
  return "?";
}

namespace {

// The type decides which keys are allowed, wherever it appears among the fields.
Result<Mount::Type> mount_type(const std::vector<std::string>& fields) {
  Mount::Type type = Mount::Type::bind;
  for (const auto& f : fields) {
    size_t eq = f.find('=');
    if (eq == std::string::npos || to_lower(f.substr(0, eq)) != "type") continue;
    std::string t = to_lower(f.substr(eq + 1));
    if (t == "bind")
      type = Mount::Type::bind;
    else if (t == "cache")
      type = Mount::Type::cache;
    else if (t == "tmpfs")
      type = Mount::Type::tmpfs;
    else if (t == "secret")
      type = Mount::Type::secret;
    else if (t == "ssh")
      type = Mount::Type::ssh;
    else
      return failf(Errc::invalid_argument, "unsupported mount type \"{}\"{}", f.substr(eq + 1),
                   detail::suggest(t, {"bind", "cache", "tmpfs", "secret", "ssh"}));
  }
  return type;
}

bool secretish(const Mount& m) {
  return m.type == Mount::Type::secret || m.type == Mount::Type::ssh;
}

std::unexpected<Error> unexpected_key(std::string_view key, const Mount& m) {
  return failf(Errc::invalid_argument, "unexpected key '{}' for mount type '{}'", key,
               mount_type_name(m.type));
}

std::unexpected<Error> bad_value(std::string_view k, std::string_view v) {
  return failf(Errc::invalid_argument, "invalid value for {}: {}", k, v);
}

// A field without '=': a flag. `ro_auto` becomes false when it sets read-only or read-write.
Status mount_flag(const std::string& field, Mount& m, bool& ro_auto) {
  std::string key = to_lower(field);
  if (key == "readonly" || key == "ro")
    m.readonly = true, ro_auto = false;
  else if (key == "readwrite" || key == "rw")
    m.readonly = false, ro_auto = false;
  else if (key == "required" && secretish(m))
    m.required = true;
  else if (key == "required")
    return unexpected_key(key, m);
  else
    return failf(Errc::invalid_argument, "invalid field '{}' must be a key=value pair", field);
  return {};
}

// key=value, with the checks BuildKit makes for each key.
Status mount_field(const std::string& field, size_t eq, Mount& m, bool& ro_auto) {
  std::string key = to_lower(field.substr(0, eq));
  std::string value = field.substr(eq + 1);
  if (key == "type") return {};
  if (key == "from") {
    m.from = value;
  } else if (key == "source" || key == "src") {
    m.source = value;
  } else if (key == "target" || key == "dst" || key == "destination" || key == "dest") {
    m.target = value;
  } else if (key == "readonly" || key == "ro" || key == "readwrite" || key == "rw") {
    auto b = go_bool(value);
    if (!b) return bad_value(key, value);
    m.readonly = (key == "readonly" || key == "ro") ? *b : !*b;
    ro_auto = false;
  } else if (key == "required") {
    if (!secretish(m)) return unexpected_key(key, m);
    auto b = go_bool(value);
    if (!b) return bad_value(key, value);
    m.required = *b;
  } else if (key == "size") {
    if (m.type != Mount::Type::tmpfs) return unexpected_key(key, m);
    auto sz = ram_in_bytes(value);
    if (!sz) return bad_value(key, value);
    m.size = *sz;
  } else if (key == "id") {
    m.id = value;
  } else if (key == "sharing") {
    if (m.type != Mount::Type::cache)
      return failf(Errc::invalid_argument, "invalid cache sharing set for {} mount",
                   mount_type_name(m.type));
    m.sharing = to_lower(value);
    if (m.sharing != "shared" && m.sharing != "private" && m.sharing != "locked")
      return failf(Errc::invalid_argument, "unsupported sharing value \"{}\"", value);
  } else if (key == "mode" || key == "uid" || key == "gid") {
    char* end = nullptr;
    unsigned long v = std::strtoul(value.c_str(), &end, key == "mode" ? 8 : 10);
    if (value.empty() || *end || v > 0xffffffffUL)
      return failf(Errc::invalid_argument, "invalid value {} for {}", value, key);
    (key == "mode" ? m.mode : key == "uid" ? m.uid : m.gid) = static_cast<uint32_t>(v);
  } else if (key == "env") {
    if (m.type != Mount::Type::secret) return unexpected_key(key, m);
    m.env = value;
  } else {
    return failf(Errc::invalid_argument, "unexpected key '{}' in '{}'{}", key, field,
                 detail::suggest(key, k_mount_keys));
  }
  return {};
}

// What only the whole mount can say: file options, secrets' sources, a target.
Status check_mount(Mount& m, bool ro_auto) {
  std::string type(mount_type_name(m.type));
  bool file_info = secretish(m) || m.type == Mount::Type::cache;
  if (!file_info && (m.mode || m.uid || m.gid))
    return failf(Errc::invalid_argument, "{} not allowed for \"{}\" type mounts",
                 m.mode  ? "mode"
                 : m.uid ? "uid"
                         : "gid",
                 type);
  if (ro_auto) m.readonly = !(m.type == Mount::Type::cache || m.type == Mount::Type::tmpfs);
  if (m.type == Mount::Type::secret) {
    if (!m.from.empty()) return fail(Errc::invalid_argument, "secret mount should not have a from");
    if (m.source.empty() && m.target.empty() && m.id.empty() && m.env.empty())
      return fail(Errc::invalid_argument, "invalid secret mount. one of source, target required");
    if (!m.source.empty() && !m.id.empty())
      return fail(Errc::invalid_argument, "both source and id can't be set");
  }
  if (!secretish(m) && m.target.empty())
    return failf(Errc::invalid_argument, "mount type \"{}\" needs a target (target=/path)", type);
  return {};
}

}  // namespace

Result<Mount> parse_mount(std::string_view spec) {
  Mount m;
  m.spec = std::string(spec);
  auto fields = KILN_TRY(csv_fields(spec));
  m.type = KILN_TRY(mount_type(fields));
  bool ro_auto = true;
  for (const auto& field : fields) {
    size_t eq = field.find('=');
    if (eq == std::string::npos)
      KILN_TRY(mount_flag(field, m, ro_auto));
    else
      KILN_TRY(mount_field(field, eq, m, ro_auto));
  }
  KILN_TRY(check_mount(m, ro_auto));
  return m;
}

Result<int64_t> parse_go_duration(std::string_view s) {
  std::string orig(s);
  if (s.empty()) return failf(Errc::invalid_argument, "time: invalid duration \"{}\"", orig);
  bool neg = false;
  if (s[0] == '-' || s[0] == '+') {
    neg = s[0] == '-';
    s.remove_prefix(1);
  }
  if (s == "0") return int64_t{0};
  if (s.empty()) return failf(Errc::invalid_argument, "time: invalid duration \"{}\"", orig);
  double total = 0;
  while (!s.empty()) {
    size_t i = 0;
    while (i < s.size() && (std::isdigit(static_cast<unsigned char>(s[i])) || s[i] == '.')) ++i;
    if (i == 0 || (i == 1 && s[0] == '.'))
      return failf(Errc::invalid_argument, "time: invalid duration \"{}\"", orig);
    double n = std::strtod(std::string(s.substr(0, i)).c_str(), nullptr);
    s.remove_prefix(i);
    size_t u = 0;
    while (u < s.size() && !std::isdigit(static_cast<unsigned char>(s[u])) && s[u] != '.') ++u;
    std::string unit(s.substr(0, u));
    s.remove_prefix(u);
    double mult;
    if (unit == "ns")
      mult = 1;
    else if (unit == "us" || unit == "\xC2\xB5s" || unit == "\xCE\xBCs")
      mult = 1e3;
    else if (unit == "ms")
      mult = 1e6;
    else if (unit == "s")
      mult = 1e9;
    else if (unit == "m")
      mult = 60e9;
    else if (unit == "h")
      mult = 3600e9;
    else if (unit.empty())
      return failf(Errc::invalid_argument, "time: missing unit in duration \"{}\"", orig);
    else
      return failf(Errc::invalid_argument, "time: unknown unit \"{}\" in duration \"{}\"", unit,
                   orig);
    total += n * mult;
  }
  if (!(total < 9.2e18))
    return failf(Errc::invalid_argument, "time: invalid duration \"{}\"", orig);
  return static_cast<int64_t>(std::llround(neg ? -total : total));
}

}  // namespace kiln::dockerfile
