#include "kiln/lint/shell.hpp"

#include <algorithm>
#include <array>
#include <cctype>

namespace kiln::lint {

namespace {

bool is_blank(char c) {
  return c == ' ' || c == '\t' || c == '\r';
}

bool is_assignment(std::string_view w) {
  size_t eq = w.find('=');
  if (eq == 0 || eq == std::string_view::npos) return false;
  for (size_t i = 0; i < eq; ++i) {
    char c = w[i];
    bool ok = c == '_' || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
              (i > 0 && c >= '0' && c <= '9');
    if (!ok) return false;
  }
  return true;
}

// Reserved words and wrappers that precede the command that really runs.
constexpr std::array k_prefix_words{"then", "do", "else", "elif", "if",    "while",  "until",
                                    "!",    "{",  "time", "exec", "nohup", "command"};
constexpr std::array k_option_wrappers{"sudo", "env", "nice", "xargs", "doas"};
constexpr std::array k_terminators{"fi", "done", "esac", "}"};

template <size_t N>
bool among(std::string_view w, const std::array<const char*, N>& set) {
  for (const char* s : set)
    if (w == s) return true;
  return false;
}

class Splitter {
 public:
  explicit Splitter(std::string_view s) : m_s(s) {}

  std::vector<SimpleCommand> run() {
    while (m_i < m_s.size()) step();
    end_word();
    end_command("");
    return std::move(m_out);
  }

 private:
  void step() {
    char c = m_s[m_i];
    if (is_blank(c)) {
      end_word();
      ++m_i;
    } else if (c == '\n') {
      end_word();
      end_command("\n");
      ++m_i;
    } else if (c == '#' && !m_in_word) {
      while (m_i < m_s.size() && m_s[m_i] != '\n') ++m_i;
    } else if (c == '&' || c == '|' || c == ';' || c == '(' || c == ')') {
      end_word();
      std::string op(1, c);
      if (m_i + 1 < m_s.size() && (c == '&' || c == '|' || c == ';') && m_s[m_i + 1] == c) op += c;
      if (c == '&' && m_i + 1 < m_s.size() && m_s[m_i + 1] == '>') {  // &> file
        ++m_i;
        redirect();
        return;
      }
      m_i += op.size();
      end_command(op == "(" || op == ")" || op == ";;" ? ";" : op);
    } else if (c == '<' || c == '>') {
      // A word of digits right before is the redirected fd, not an argument.
      if (m_in_word && !m_word.text.empty() &&
          m_word.text.find_first_not_of("0123456789") == std::string::npos && !m_quoted)
        m_in_word = false, m_word = {};
      else
        end_word();
      redirect();
    } else {
      word_char();
    }
  }

  // Skips a redirection operator and its target.
  void redirect() {
    bool heredoc = m_s.substr(m_i).starts_with("<<");
    while (m_i < m_s.size() && (m_s[m_i] == '<' || m_s[m_i] == '>' || m_s[m_i] == '|')) ++m_i;
    if (m_i < m_s.size() && m_s[m_i] == '&') {
      ++m_i;
      while (m_i < m_s.size() &&
             (std::isdigit(static_cast<unsigned char>(m_s[m_i])) || m_s[m_i] == '-'))
        ++m_i;
      return;
    }
    if (heredoc && m_i < m_s.size() && m_s[m_i] == '-') ++m_i;
    while (m_i < m_s.size() && is_blank(m_s[m_i])) ++m_i;
    // The target word: read it, then drop it.
    m_discard = true;
    while (m_i < m_s.size()) {
      char c = m_s[m_i];
      if (is_blank(c) || c == '\n' || c == ';' || c == '&' || c == '|' || c == '<' || c == '>' ||
          c == '(' || c == ')')
        break;
      word_char();
    }
    m_in_word = false;
    m_word = {};
    m_discard = false;
  }

  void word_char() {
    char c = m_s[m_i];
    if (!m_in_word) {
      m_in_word = true;
      m_quoted = false;
      m_word = {};
      m_word.offset = m_i;
    }
    if (c == '\\') {
      if (m_i + 1 < m_s.size() && m_s[m_i + 1] != '\n') m_word.text += m_s[m_i + 1];
      m_i += 2;
    } else if (c == '\'') {
      m_quoted = true;
      size_t end = m_s.find('\'', m_i + 1);
      if (end == std::string_view::npos) end = m_s.size();
      m_word.text += m_s.substr(m_i + 1, end - m_i - 1);
      m_i = end + 1;
    } else if (c == '"') {
      m_quoted = true;
      ++m_i;
      while (m_i < m_s.size() && m_s[m_i] != '"') {
        if (m_s[m_i] == '\\' && m_i + 1 < m_s.size() &&
            std::string_view("$`\"\\\n").find(m_s[m_i + 1]) != std::string_view::npos) {
          if (m_s[m_i + 1] != '\n') m_word.text += m_s[m_i + 1];
          m_i += 2;
        } else if (m_s[m_i] == '$' && m_i + 1 < m_s.size() &&
                   (m_s[m_i + 1] == '(' || m_s[m_i + 1] == '{')) {
          balanced();
        } else {
          m_word.text += m_s[m_i++];
        }
      }
      ++m_i;
    } else if (c == '$' && m_i + 1 < m_s.size() && (m_s[m_i + 1] == '(' || m_s[m_i + 1] == '{')) {
      balanced();
    } else if (c == '`') {
      size_t end = m_s.find('`', m_i + 1);
      if (end == std::string_view::npos) end = m_s.size() - 1;
      m_word.text += m_s.substr(m_i, end - m_i + 1);
      m_i = end + 1;
    } else {
      m_word.text += c;
      ++m_i;
    }
  }

  // $( ... ) or ${ ... }, copied as written up to its matching close.
  void balanced() {
    char open = m_s[m_i + 1], close = open == '(' ? ')' : '}';
    int depth = 0;
    size_t start = m_i;
    m_i += 1;
    while (m_i < m_s.size()) {
      char c = m_s[m_i];
      if (c == '\\') {
        m_i += 2;
        continue;
      }
      if (c == '\'' && open == '(') {
        size_t end = m_s.find('\'', m_i + 1);
        m_i = end == std::string_view::npos ? m_s.size() : end + 1;
        continue;
      }
      if (c == open) ++depth;
      if (c == close && --depth == 0) {
        ++m_i;
        break;
      }
      ++m_i;
    }
    m_word.text += m_s.substr(start, std::min(m_i, m_s.size()) - start);
  }

  void end_word() {
    if (!m_in_word) return;
    m_in_word = false;
    if (!m_discard) m_cur.words.push_back(std::move(m_word));
    m_word = {};
  }

  void end_command(std::string op) {
    if (!m_cur.words.empty()) {
      finish(m_cur);
      m_out.push_back(std::move(m_cur));
      m_cur = {};
      m_cur.joined_by = std::move(op);
      return;
    }
    // An empty command (leading operator, blank line): keep the stronger joint.
    if (!op.empty() && (m_cur.joined_by.empty() || m_cur.joined_by == "\n")) m_cur.joined_by = op;
    if (m_out.empty()) m_cur.joined_by.clear();
  }

  static void finish(SimpleCommand& cmd) {
    auto& w = cmd.words;
    size_t i = 0;
    while (i < w.size() && is_assignment(w[i].text)) ++i;
    w.erase(w.begin(), w.begin() + static_cast<std::ptrdiff_t>(i));
    while (!w.empty() && among(w.back().text, k_terminators)) w.pop_back();
    size_t s = 0;
    while (s < w.size()) {
      std::string_view name = base_name(w[s].text);
      if (among(name, k_prefix_words)) {
        ++s;
      } else if (among(name, k_option_wrappers)) {
        bool is_sudo = name == "sudo" || name == "doas";
        ++s;
        while (s < w.size() && (w[s].text.starts_with('-') || is_assignment(w[s].text))) {
          std::string_view o = w[s].text;
          ++s;
          if (is_sudo && (o == "-u" || o == "-g" || o == "-C" || o == "-h")) ++s;
          if (name == "nice" && o == "-n") ++s;
        }
      } else {
        break;
      }
    }
    cmd.start = std::min(s, w.size());
  }

  std::string_view m_s;
  size_t m_i = 0;
  bool m_in_word = false, m_quoted = false, m_discard = false;
  Word m_word;
  SimpleCommand m_cur;
  std::vector<SimpleCommand> m_out;
};

}  // namespace

std::vector<Word> SimpleCommand::args() const {
  if (start + 1 >= words.size()) return {};
  return {words.begin() + static_cast<std::ptrdiff_t>(start + 1), words.end()};
}

std::vector<SimpleCommand> split_commands(std::string_view script) {
  return Splitter(script).run();
}

std::string_view base_name(std::string_view word) {
  size_t slash = word.rfind('/');
  return slash == std::string_view::npos ? word : word.substr(slash + 1);
}

}  // namespace kiln::lint
