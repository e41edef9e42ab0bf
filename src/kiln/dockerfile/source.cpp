#include "kiln/dockerfile/source.hpp"

namespace kiln::dockerfile {

// strconv.Quote: printable runes kept, \a \b \f \n \r \t \v \\ \" escaped, others \xNN / \uNNNN.
std::string go_quote(std::string_view s) {
  std::string out = "\"";
  for (size_t i = 0; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    switch (c) {
      case '\a':
        out += "\\a";
        continue;
      case '\b':
        out += "\\b";
        continue;
      case '\f':
        out += "\\f";
        continue;
      case '\n':
        out += "\\n";
        continue;
      case '\r':
        out += "\\r";
        continue;
      case '\t':
        out += "\\t";
        continue;
      case '\v':
        out += "\\v";
        continue;
      case '\\':
        out += "\\\\";
        continue;
      case '"':
        out += "\\\"";
        continue;
      default:
        break;
    }
    if (c < 0x20 || c == 0x7f) {
      out += fmt::format("\\x{:02x}", c);
    } else if (c < 0x80) {
      out += static_cast<char>(c);
    } else {
      // Copy a whole valid UTF-8 sequence; a stray byte becomes \xNN.
      size_t len = (c >> 5) == 6 ? 2 : (c >> 4) == 14 ? 3 : (c >> 3) == 30 ? 4 : 0;
      bool ok = len > 0 && i + len <= s.size();
      for (size_t k = 1; ok && k < len; ++k) ok = (static_cast<unsigned char>(s[i + k]) >> 6) == 2;
      if (!ok) {
        out += fmt::format("\\x{:02x}", c);
        continue;
      }
      out += s.substr(i, len);
      i += len - 1;
    }
  }
  return out + "\"";
}

Source Source::from_text(std::string_view text, std::string filename) {
  Source s;
  s.filename = std::move(filename);
  size_t start = 0;
  while (start < text.size()) {
    size_t nl = text.find('\n', start);
    std::string_view l =
        text.substr(start, nl == std::string_view::npos ? std::string_view::npos : nl - start);
    if (!l.empty() && l.back() == '\r') l.remove_suffix(1);
    s.lines.emplace_back(l);
    if (nl == std::string_view::npos) break;
    start = nl + 1;
  }
  if (!s.lines.empty() && s.lines[0].starts_with("\xEF\xBB\xBF")) s.lines[0].erase(0, 3);
  return s;
}

std::string_view Source::line(int n) const {
  if (n < 1 || static_cast<size_t>(n) > lines.size()) return {};
  return lines[static_cast<size_t>(n - 1)];
}

Error located(const Source& src, int line, int col, std::string_view message) {
  if (line <= 0) return Error(Errc::invalid_argument, fmt::format("{}: {}", src.filename, message));
  col = std::max(col, 1);
  std::string text(src.line(line));
  for (auto& c : text)
    if (c == '\t') c = ' ';
  std::string num = std::to_string(line);
  std::string pad(num.size(), ' ');
  return Error(Errc::invalid_argument,
               fmt::format("{}:{}:{}: {}\n {} | {}\n {} | {}^", src.filename, line, col, message,
                           num, text, pad, std::string(static_cast<size_t>(col - 1), ' ')));
}

}  // namespace kiln::dockerfile
