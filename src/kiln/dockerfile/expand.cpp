#include "kiln/dockerfile/plan.hpp"

namespace kiln::dockerfile {

namespace {

struct Expander {
  const Vars& env;
  const Lexer& lex;

  Status word(std::string& s) {
    s = KILN_TRY(lex.process_word(s, env));
    return {};
  }
  Status words(std::vector<std::string>& v) {
    for (auto& s : v) KILN_TRY(word(s));
    return {};
  }
  Status pairs(std::vector<KeyValue>& kv) {
    for (auto& p : kv) {
      KILN_TRY(word(p.key));
      KILN_TRY(word(p.value));
    }
    return {};
  }
  Status paths(SourcesAndDest& sd) {
    KILN_TRY(words(sd.sources));
    // Heredoc contents (COPY <<EOF) are expanded unless the delimiter was quoted, with
    // quotes kept as written (BuildKit's ExpandRaw: escape '\\', SkipProcessQuotes).
    Lexer raw('\\');
    raw.raw_quotes = true;
    for (auto& h : sd.contents)
      if (h.expand) h.content = KILN_TRY(raw.process_word(h.content, env));
    return word(sd.dest);
  }

  Status operator()(Env& c) { return pairs(c.vars); }
  Status operator()(Label& c) { return pairs(c.labels); }
  Status operator()(Copy& c) {
    KILN_TRY(paths(c.paths));
    KILN_TRY(word(c.from));
    KILN_TRY(word(c.chown));
    KILN_TRY(word(c.chmod));
    return words(c.excludes);
  }
  Status operator()(Add& c) {
    KILN_TRY(paths(c.paths));
    KILN_TRY(word(c.chown));
    KILN_TRY(word(c.chmod));
    KILN_TRY(word(c.checksum));
    return words(c.excludes);
  }
  Status operator()(Workdir& c) { return word(c.path); }
  Status operator()(User& c) { return word(c.user); }
  Status operator()(StopSignal& c) { return word(c.signal); }
  Status operator()(Volume& c) { return words(c.paths); }
  Status operator()(Expose& c) {
    std::vector<std::string> out;
    for (const auto& p : c.ports) {
      auto split = KILN_TRY(lex.process_words(p, env));
      out.insert(out.end(), split.begin(), split.end());
    }
    c.ports = std::move(out);
    return {};
  }
  Status operator()(Run& c) {
    for (auto& m : c.mounts) {
      KILN_TRY(word(m.from));
      KILN_TRY(word(m.source));
      KILN_TRY(word(m.target));
      KILN_TRY(word(m.id));
      KILN_TRY(word(m.env));
    }
    return {};
  }
  template <class T>
  Status operator()(T&) {
    return {};
  }
};

}  // namespace

Result<Command> expand(const Command& cmd, const Vars& env, const Lexer& lex) {
  Command out = cmd;
  Expander e{env, lex};
  KILN_TRY(std::visit(e, out));
  return out;
}

}  // namespace kiln::dockerfile
