// Internal to dockerfile/: instruction flags as BuildKit's BFlags parses them.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

#include "kiln/base/error.hpp"

namespace kiln::dockerfile::detail {

class Flags {
 public:
  explicit Flags(const std::vector<std::string>& raw) : m_raw(raw) {}
  std::string& add_string(const std::string& name, std::string def = "");
  bool& add_bool(const std::string& name, bool def = false);
  std::vector<std::string>& add_strings(const std::string& name);
  // Errors: unknown flag (with a suggestion), duplicate flag, missing value, bad boolean.
  Status parse();
  bool used(const std::string& name) const { return m_used.contains(name); }

 private:
  enum class Kind { string, boolean, strings };
  struct Flag {
    Kind kind;
    std::string str;
    bool b = false;
    std::vector<std::string> list;
  };
  const std::vector<std::string>& m_raw;
  std::map<std::string, std::unique_ptr<Flag>> m_flags;
  std::map<std::string, bool> m_used;
};

// " (did you mean X?)" when a candidate is within edit distance 2, else "".
std::string suggest(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace kiln::dockerfile::detail
