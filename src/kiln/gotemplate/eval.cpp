#include <cmath>
#include <functional>
#include <map>
#include <vector>

#include <nlohmann/json.hpp>

#include "kiln/gotemplate/ast.hpp"
#include "kiln/gotemplate/template.hpp"

namespace kiln::gotemplate {

namespace {

using json = nlohmann::json;

json missing() {
  return json(json::value_t::discarded);
}

std::string go_print(const json& v) {
  switch (v.type()) {
    case json::value_t::string:
      return v.get<std::string>();
    case json::value_t::null:
      return "<nil>";
    case json::value_t::discarded:
      return "<no value>";
    case json::value_t::boolean:
      return v.get<bool>() ? "true" : "false";
    case json::value_t::number_integer:
      return std::to_string(v.get<int64_t>());
    case json::value_t::number_unsigned:
      return std::to_string(v.get<uint64_t>());
    case json::value_t::number_float: {
      double d = v.get<double>();
      if (d == std::floor(d) && std::fabs(d) < 1e21) return fmt::format("{:.0f}", d);
      return fmt::format("{}", d);
    }
    case json::value_t::array: {
      std::string out = "[";
      for (size_t i = 0; i < v.size(); ++i) out += (i ? " " : "") + go_print(v[i]);
      return out + "]";
    }
    case json::value_t::object: {
      std::string out = "map[";
      bool first = true;
      for (auto& [k, x] : v.items()) {
        out += (first ? "" : " ") + k + ":" + go_print(x);
        first = false;
      }
      return out + "]";
    }
    default:
      return "";
  }
}

bool truthy(const json& v) {
  switch (v.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
      return false;
    case json::value_t::boolean:
      return v.get<bool>();
    case json::value_t::string:
      return !v.get<std::string>().empty();
    case json::value_t::array:
    case json::value_t::object:
      return !v.empty();
    case json::value_t::number_float:
      return v.get<double>() != 0;
    default:
      return v.get<int64_t>() != 0;
  }
}

// index VALUE KEY...: array positions and object keys, as Go's index.
Result<json> index_fn(const std::vector<json>& args, const std::string& src) {
  if (args.empty())
    return failf(Errc::invalid_argument, "template: {{{{{}}}}}: index needs a value", src);
  json v = args[0];
  for (size_t i = 1; i < args.size(); ++i) {
    if (v.is_array() && args[i].is_number_integer()) {
      auto k = args[i].get<int64_t>();
      if (k < 0 || static_cast<size_t>(k) >= v.size())
        return failf(Errc::invalid_argument, "template: {{{{{}}}}}: index {} out of range", src, k);
      v = v[static_cast<size_t>(k)];
    } else if (v.is_object() && args[i].is_string()) {
      auto it = v.find(args[i].get<std::string>());
      v = it == v.end() ? missing() : *it;
    } else if (v.is_null()) {
      v = missing();
    } else {
      return failf(Errc::invalid_argument, "template: {{{{{}}}}}: cannot index {} with {}", src,
                   v.type_name(),
                   args[i].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
  }
  return v;
}

// join, upper, lower, title, split (their argument counts already checked).
Result<json> string_fn(const std::string& fn, const std::vector<json>& args,
                       const std::string& src) {
  if (fn == "join") {
    if (!args[1].is_string())
      return failf(Errc::invalid_argument, "template: {{{{{}}}}}: join separator must be a string",
                   src);
    std::string out;
    if (args[0].is_array())
      for (size_t i = 0; i < args[0].size(); ++i)
        out += (i ? args[1].get<std::string>() : "") + go_print(args[0][i]);
    return json(out);
  }
  if (fn == "upper" || fn == "lower" || fn == "title") {
    std::string s = go_print(args[0]);
    for (size_t i = 0; i < s.size(); ++i) {
      if (fn == "upper" || (fn == "title" && (i == 0 || s[i - 1] == ' ')))
        s[i] = static_cast<char>(std::toupper(static_cast<unsigned char>(s[i])));
      else if (fn == "lower")
        s[i] = static_cast<char>(std::tolower(static_cast<unsigned char>(s[i])));
    }
    return json(s);
  }
  if (fn == "split") {
    std::string s = go_print(args[0]), sep = go_print(args[1]);
    json arr = json::array();
    size_t start = 0;
    while (!sep.empty()) {
      size_t p = s.find(sep, start);
      if (p == std::string::npos) break;
      arr.push_back(s.substr(start, p - start));
      start = p + sep.size();
    }
    arr.push_back(s.substr(start));
    return arr;
  }
  return failf(Errc::internal, "template: {{{{{}}}}}: {} is not a string function", src, fn);
}

class Evaluator {
 public:
  explicit Evaluator(const json& root) { m_vars.push_back({"$", root}); }

  Status node(const Node& n, const json& dot, std::string& out) {
    switch (n.kind) {
      case Node::list:
        for (const auto& c : n.children) KILN_TRY(node(*c, dot, out));
        return {};
      case Node::text:
        out += n.literal;
        return {};
      case Node::action: {
        json v = KILN_TRY(pipeline(n.pipe, dot));
        if (n.pipe.decl.empty()) out += go_print(v);
        return {};
      }
      case Node::if_:
      case Node::with: {
        size_t mark = m_vars.size();
        json v = KILN_TRY(pipeline(n.pipe, dot));
        Status st;
        if (truthy(v))
          st = node(*n.body, n.kind == Node::with ? v : dot, out);
        else if (n.else_body)
          st = node(*n.else_body, dot, out);
        m_vars.resize(mark);
        return st;
      }
      case Node::range:
        return range(n, dot, out);
    }
    return {};
  }

 private:
  Status range(const Node& n, const json& dot, std::string& out) {
    Pipeline p = n.pipe;
    auto decl = p.decl;
    p.decl.clear();
    json v = KILN_TRY(pipeline(p, dot));
    if (!truthy(v) || !(v.is_array() || v.is_object())) {
      if (v.is_number_integer() && v.get<int64_t>() > 0) {
        json arr = json::array();
        for (int64_t i = 0; i < v.get<int64_t>(); ++i) arr.push_back(i);
        v = arr;
      } else {
        return n.else_body ? node(*n.else_body, dot, out) : Status{};
      }
    }
    size_t mark = m_vars.size();
    auto each = [&](const json& key, const json& elem) -> Status {
      m_vars.resize(mark);
      if (decl.size() == 1) m_vars.push_back({decl[0], elem});
      if (decl.size() == 2) {
        m_vars.push_back({decl[0], key});
        m_vars.push_back({decl[1], elem});
      }
      return node(*n.body, elem, out);
    };
    if (v.is_array()) {
      for (size_t i = 0; i < v.size(); ++i) KILN_TRY(each(json(i), v[i]));
    } else {
      for (auto& [k, x] : v.items()) KILN_TRY(each(json(k), x));
    }
    m_vars.resize(mark);
    return {};
  }

  Result<json> field(json v, const std::vector<std::string>& chain, const std::string& src) {
    for (const auto& f : chain) {
      if (v.is_object()) {
        auto it = v.find(f);
        v = it == v.end() ? missing() : *it;
      } else if (v.is_null() || v.is_discarded()) {
        return missing();
      } else {
        return failf(Errc::invalid_argument,
                     "template: executing {{{{{}}}}}: can't evaluate field {} in type {}", src, f,
                     v.type_name());
      }
    }
    return v;
  }

  Result<json> value(const Arg& a, const json& dot, const std::string& src) {
    switch (a.kind) {
      case Arg::field:
        return field(dot, a.chain, src);
      case Arg::variable:
        for (auto it = m_vars.rbegin(); it != m_vars.rend(); ++it)
          if (it->first == a.text) return field(it->second, a.chain, src);
        return failf(Errc::invalid_argument, "template: undefined variable {} in {{{{{}}}}}",
                     a.text, src);
      case Arg::string:
        return json(a.text);
      case Arg::number:
        return a.is_int ? json(static_cast<int64_t>(a.num)) : json(a.num);
      case Arg::boolean:
        return json(a.text == "true");
      case Arg::nil:
        return json(nullptr);
      case Arg::sub: {
        json v = KILN_TRY(pipeline(*a.pipe, dot));
        return field(v, a.chain, src);
      }
      case Arg::ident:
        return call(a.text, {}, src);
    }
    return missing();
  }

  Result<json> pipeline(const Pipeline& p, const json& dot) {
    std::optional<json> piped;
    for (const auto& cmd : p.cmds) {
      const Arg& head = cmd.args.front();
      if (head.kind == Arg::ident) {
        std::vector<json> args;
        for (size_t i = 1; i < cmd.args.size(); ++i)
          args.push_back(KILN_TRY(value(cmd.args[i], dot, p.source)));
        if (piped) args.push_back(*piped);
        piped = KILN_TRY(call(head.text, args, p.source));
      } else {
        if (cmd.args.size() > 1 || piped)
          return failf(Errc::invalid_argument,
                       "template: {{{{{}}}}}: can't give arguments to a non-function", p.source);
        piped = KILN_TRY(value(head, dot, p.source));
      }
    }
    json result = piped.value_or(missing());
    for (const auto& d : p.decl) m_vars.push_back({d, result});
    return result;
  }

  Result<json> call(const std::string& fn, const std::vector<json>& args, const std::string& src) {
    auto want = [&](size_t n) -> Status {
      if (args.size() != n)
        return failf(Errc::invalid_argument,
                     "template: {{{{{}}}}}: {} wants {} argument(s), got {}", src, fn, n,
                     args.size());
      return {};
    };
    if (fn == "json") {
      KILN_TRY(want(1));
      return json(args[0].is_discarded()
                      ? "null"
                      : args[0].dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    if (fn == "len") {
      KILN_TRY(want(1));
      if (args[0].is_string()) return json(args[0].get<std::string>().size());
      if (args[0].is_array() || args[0].is_object()) return json(args[0].size());
      if (args[0].is_null()) return json(0);
      return failf(Errc::invalid_argument, "template: {{{{{}}}}}: len of {}", src,
                   args[0].type_name());
    }
    if (fn == "index") return index_fn(args, src);
    if (fn == "join" || fn == "upper" || fn == "lower" || fn == "title" || fn == "split") {
      KILN_TRY(want(fn == "join" || fn == "split" ? 2 : 1));
      return string_fn(fn, args, src);
    }
    if (fn == "println" || fn == "print") {
      std::string out;
      for (size_t i = 0; i < args.size(); ++i)
        out += (i && fn == "println" ? " " : "") + go_print(args[i]);
      if (fn == "println") out += "\n";
      return json(out);
    }
    if (fn == "eq" || fn == "ne") {
      KILN_TRY(want(2));
      bool eq = args[0] == args[1];
      return json(fn == "eq" ? eq : !eq);
    }
    if (fn == "not") {
      KILN_TRY(want(1));
      return json(!truthy(args[0]));
    }
    if (fn == "and" || fn == "or") {
      if (args.empty())
        return failf(Errc::invalid_argument, "template: {{{{{}}}}}: {} needs arguments", src, fn);
      for (const auto& a : args)
        if (truthy(a) == (fn == "or")) return a;
      return args.back();
    }
    return failf(Errc::invalid_argument, "template: {{{{{}}}}}: function \"{}\" not defined", src,
                 fn);
  }

  std::vector<std::pair<std::string, json>> m_vars;
};

}  // namespace

Result<std::string> Template::render(std::string_view text) const {
  json data;
  try {
    data = json::parse(text.begin(), text.end());
  } catch (const std::exception& e) {
    return failf(Errc::internal, "template data is not JSON: {}", e.what());
  }
  Evaluator ev(data);
  std::string out;
  KILN_TRY(ev.node(*m_root, data, out));
  return out;
}

}  // namespace kiln::gotemplate
