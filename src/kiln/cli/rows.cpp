#include "kiln/cli/rows.hpp"

#include <map>
#include <regex>

#include "kiln/base/strings.hpp"
#include "kiln/gotemplate/template.hpp"

namespace kiln::cli {

namespace {

std::string header_for(const std::string& tmpl) {
  static const std::map<std::string, std::string> names = {{"ID", "IMAGE ID"},
                                                           {"CreatedSince", "CREATED"},
                                                           {"CreatedAt", "CREATED AT"},
                                                           {"CreatedBy", "CREATED BY"},
                                                           {"Repository", "REPOSITORY"},
                                                           {"Tag", "TAG"},
                                                           {"Size", "SIZE"},
                                                           {"Digest", "DIGEST"},
                                                           {"Comment", "COMMENT"}};
  static const std::regex field(R"(\{\{\s*\.(\w+)\s*\}\})");
  std::string out;
  auto begin = std::sregex_iterator(tmpl.begin(), tmpl.end(), field);
  size_t last = 0;
  for (auto it = begin; it != std::sregex_iterator(); ++it) {
    out += tmpl.substr(last, static_cast<size_t>(it->position()) - last);
    std::string f = (*it)[1];
    auto n = names.find(f);
    out += n != names.end() ? n->second
           : to_lower(f) == f
               ? f
               : [&] {
                   std::string u;
                   for (char c : f)
                     u += static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
                   return u;
                 }();
    last = static_cast<size_t>(it->position() + it->length());
  }
  return out + tmpl.substr(last);
}

}  // namespace

Status print_rows(const RowFormat& f, const std::vector<std::string>& rows) {
  if (f.kind == RowFormat::json) {
    for (const auto& r : rows) fmt::print("{}\n", r);
    return {};
  }
  auto t = KILN_TRY(gotemplate::Template::parse(f.text));
  std::vector<std::vector<std::string>> table;
  bool is_table = f.header;
  if (is_table) table.push_back(split(header_for(f.text), '\t'));
  for (const auto& r : rows) {
    std::string line = KILN_TRY(t.render(r));
    if (is_table)
      table.push_back(split(line, '\t'));
    else
      fmt::print("{}\n", line);
  }
  if (is_table) print_table(table);
  return {};
}

}  // namespace kiln::cli
