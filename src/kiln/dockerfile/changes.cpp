#include "kiln/dockerfile/changes.hpp"
#include "kiln/base/json_depth.hpp"

#include <algorithm>

#include <nlohmann/json.hpp>

#include "kiln/base/strings.hpp"

namespace kiln::dockerfile {

namespace {

// A JSON array of strings, or nullopt when the text is not one (then it is shell form).
std::optional<std::vector<std::string>> json_array(std::string_view s) {
  s = trim(s);
  if (!s.starts_with('[') || !json_depth_ok(s)) return std::nullopt;
  try {
    auto j = nlohmann::json::parse(s.begin(), s.end());
    if (!j.is_array()) return std::nullopt;
    std::vector<std::string> out;
    for (const auto& v : j) {
      if (!v.is_string()) return std::nullopt;
      out.push_back(v.get<std::string>());
    }
    return out;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::vector<std::string> command(std::string_view rest) {
  if (auto arr = json_array(rest)) return *arr;
  return {"/bin/sh", "-c", std::string(trim(rest))};
}

void set_env(oci::ContainerConfig& c, const std::string& key, const std::string& value) {
  std::string entry = key + "=" + value;
  for (auto& e : c.env)
    if (e.starts_with(key + "=")) {
      e = entry;
      return;
    }
  c.env.push_back(entry);
}

void add_unique_sorted(std::vector<std::string>& v, std::string item) {
  if (std::find(v.begin(), v.end(), item) == v.end()) v.push_back(std::move(item));
  std::sort(v.begin(), v.end());
}

// KEY=VALUE pairs, or the legacy "KEY VALUE" form.
Result<std::vector<std::pair<std::string, std::string>>> pairs(std::string_view rest,
                                                               std::string_view what) {
  auto words = KILN_TRY(split_words(rest));
  std::vector<std::pair<std::string, std::string>> out;
  if (words.empty()) return failf(Errc::invalid_argument, "{} needs at least one argument", what);
  if (words[0].find('=') == std::string::npos) {
    if (words.size() < 2)
      return failf(Errc::invalid_argument, "{} {}: missing value (want KEY=VALUE)", what, words[0]);
    std::string_view r = trim(rest);
    std::string value(trim(r.substr(r.find_first_of(" \t"))));
    auto unq = KILN_TRY(split_words(value));
    out.emplace_back(words[0], join(unq, " "));
    return out;
  }
  for (const auto& w : words) {
    size_t eq = w.find('=');
    if (eq == std::string::npos || eq == 0)
      return failf(Errc::invalid_argument, "{}: \"{}\" is not KEY=VALUE", what, w);
    out.emplace_back(w.substr(0, eq), w.substr(eq + 1));
  }
  return out;
}

}  // namespace

Result<std::vector<std::string>> split_words(std::string_view s) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < s.size(); ++i) {
    char c = s[i];
    if (quote) {
      if (c == quote)
        quote = 0;
      else if (c == '\\' && quote == '"' && i + 1 < s.size())
        cur += s[++i];
      else
        cur += c;
      continue;
    }
    if (c == '"' || c == '\'') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < s.size()) {
      cur += s[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) out.push_back(std::move(cur));
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (quote) return failf(Errc::invalid_argument, "unterminated {} quote in \"{}\"", quote, s);
  if (in_word) out.push_back(std::move(cur));
  return out;
}

Status apply_change(oci::ContainerConfig& c, std::string_view instruction) {
  std::string_view line = trim(instruction);
  size_t sp = line.find_first_of(" \t");
  std::string kw = to_lower(line.substr(0, sp));
  std::string_view rest = sp == std::string_view::npos ? "" : trim(line.substr(sp));
  auto ctx = fmt::format("change \"{}\"", line);
  if (kw.empty()) return fail(Errc::invalid_argument, "empty change instruction");
  if (kw == "cmd") {
    c.cmd = command(rest);
  } else if (kw == "entrypoint") {
    c.entrypoint = command(rest);
    if (auto arr = json_array(rest); arr && arr->empty()) c.entrypoint.reset();
  } else if (kw == "env") {
    for (auto& [k, v] : KILN_TRY_CTX(pairs(rest, "ENV"), ctx)) set_env(c, k, v);
  } else if (kw == "label") {
    for (auto& [k, v] : KILN_TRY_CTX(pairs(rest, "LABEL"), ctx)) c.labels[k] = v;
  } else if (kw == "expose") {
    for (auto& p : KILN_TRY_CTX(split_words(rest), ctx)) {
      std::string port = p.find('/') == std::string::npos ? p + "/tcp" : to_lower(p);
      std::string num = port.substr(0, port.find('/'));
      std::string proto = port.substr(port.find('/') + 1);
      auto n = parse_int(num.substr(0, num.find('-')));
      if (!n || *n < 0 || *n > 65535 || (proto != "tcp" && proto != "udp" && proto != "sctp"))
        return failf(Errc::invalid_argument, "{}: invalid port \"{}\"", ctx, p);
      add_unique_sorted(c.exposed_ports, port);
    }
  } else if (kw == "volume") {
    auto vols = json_array(rest);
    std::vector<std::string> list = vols ? *vols : KILN_TRY_CTX(split_words(rest), ctx);
    if (list.empty()) return failf(Errc::invalid_argument, "{}: VOLUME needs a path", ctx);
    for (auto& v : list) add_unique_sorted(c.volumes, v);
  } else if (kw == "user" || kw == "workdir" || kw == "stopsignal") {
    auto words = KILN_TRY_CTX(split_words(rest), ctx);
    if (words.size() != 1)
      return failf(Errc::invalid_argument, "{}: {} takes exactly one argument", ctx,
                   to_lower(kw) == "user" ? "USER"
                   : kw == "workdir"      ? "WORKDIR"
                                          : "STOPSIGNAL");
    if (kw == "user")
      c.user = words[0];
    else if (kw == "stopsignal")
      c.stop_signal = words[0];
    else if (words[0].starts_with('/'))
      c.working_dir = words[0];
    else
      c.working_dir = (c.working_dir.empty() ? "/" : c.working_dir + "/") + words[0];
  } else if (kw == "onbuild") {
    if (rest.empty()) return failf(Errc::invalid_argument, "{}: ONBUILD needs an instruction", ctx);
    if (!c.on_build) c.on_build.emplace();
    c.on_build->push_back(std::string(rest));
  } else {
    return failf(Errc::invalid_argument,
                 "{}: \"{}\" cannot be changed here (allowed: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, "
                 "ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)",
                 ctx, line.substr(0, sp));
  }
  return {};
}

}  // namespace kiln::dockerfile
