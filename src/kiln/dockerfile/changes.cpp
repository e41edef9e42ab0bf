#include "kiln/dockerfile/changes.hpp"

#include <algorithm>
#include <set>

#include "kiln/base/strings.hpp"
#include "kiln/dockerfile/ast.hpp"
#include "kiln/dockerfile/instructions.hpp"
#include "kiln/dockerfile/lexer.hpp"
#include "kiln/dockerfile/plan.hpp"
#include "kiln/oci/env.hpp"

namespace kiln::dockerfile {

namespace {

void add_unique_sorted(std::vector<std::string>& v, std::string item) {
  if (std::find(v.begin(), v.end(), item) == v.end()) v.push_back(std::move(item));
  std::sort(v.begin(), v.end());
}

std::vector<std::string> command_of(const CommandLine& cl) {
  if (!cl.prepend_shell) return cl.args;
  return {"/bin/sh", "-c", cl.args.empty() ? std::string() : cl.args[0]};
}

Status add_ports(oci::ContainerConfig& c, const std::vector<std::string>& ports) {
  for (const auto& p : ports) {
    std::string port = p.find('/') == std::string::npos ? p + "/tcp" : to_lower(p);
    std::string num = port.substr(0, port.find('/'));
    std::string proto = port.substr(port.find('/') + 1);
    auto n = parse_int(num.substr(0, num.find('-')));
    if (!n || *n < 0 || *n > 65535 || (proto != "tcp" && proto != "udp" && proto != "sctp"))
      return failf(Errc::invalid_argument, "invalid port \"{}\"", p);
    add_unique_sorted(c.exposed_ports, port);
  }
  return {};
}

// One typed instruction (as the Dockerfile parser made it) applied to a container config.
Status apply_command(oci::ContainerConfig& c, const Command& cmd) {
  if (auto* e = std::get_if<Env>(&cmd)) {
    for (const auto& kv : e->vars) oci::set_env(c, kv.key, kv.value);
  } else if (auto* l = std::get_if<Label>(&cmd)) {
    for (const auto& kv : l->labels) c.labels[kv.key] = kv.value;
  } else if (auto* x = std::get_if<Expose>(&cmd)) {
    KILN_TRY(add_ports(c, x->ports));
  } else if (auto* v = std::get_if<Volume>(&cmd)) {
    for (const auto& p : v->paths) {
      if (p.empty())
        return fail(Errc::invalid_argument, "VOLUME specified can not be an empty string");
      add_unique_sorted(c.volumes, p);
    }
  } else if (auto* u = std::get_if<User>(&cmd)) {
    c.user = u->user;
  } else if (auto* sig = std::get_if<StopSignal>(&cmd)) {
    c.stop_signal = sig->signal;
  } else if (auto* w = std::get_if<Workdir>(&cmd)) {
    c.working_dir = w->path.starts_with('/')
                        ? w->path
                        : (c.working_dir.empty() ? "/" : c.working_dir + "/") + w->path;
  } else if (auto* cm = std::get_if<Cmd>(&cmd)) {
    c.cmd = command_of(cm->cmd);
  } else if (auto* ep = std::get_if<Entrypoint>(&cmd)) {
    c.entrypoint = command_of(ep->cmd);
    if (!ep->cmd.prepend_shell && ep->cmd.args.empty()) c.entrypoint.reset();
  } else if (auto* ob = std::get_if<Onbuild>(&cmd)) {
    if (!c.on_build) c.on_build.emplace();
    c.on_build->push_back(ob->expression);
  }
  return {};
}

}  // namespace

// The line goes through the Dockerfile parser (parse, then parse_command) and its words through
// the Dockerfile's shell lexer, as docker's --change does: quoting, JSON arrays, each
// instruction's arguments and $VARIABLES (from the config's Env) follow a Dockerfile's rules.
Status apply_change(oci::ContainerConfig& c, std::string_view instruction) {
  static const std::set<std::string, std::less<>> allowed = {
      "cmd",     "entrypoint", "env",  "expose", "label",
      "onbuild", "stopsignal", "user", "volume", "workdir"};
  std::string_view line = trim(instruction);
  auto ctx = fmt::format("change \"{}\"", line);
  if (line.empty()) return fail(Errc::invalid_argument, "empty change instruction");
  auto ast = KILN_TRY_CTX(parse(std::string(line) + "\n", "--change"), ctx);
  if (ast.nodes.size() != 1)
    return failf(Errc::invalid_argument, "{}: one instruction per --change", ctx);
  const Node& n = ast.nodes[0];
  if (!allowed.contains(n.instruction))
    return failf(Errc::invalid_argument,
                 "{}: \"{}\" cannot be changed here (allowed: CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, "
                 "ONBUILD, STOPSIGNAL, USER, VOLUME, WORKDIR)",
                 ctx, n.keyword);
  auto cmd = KILN_TRY_CTX(parse_command(n), ctx);
  // Words are processed as a Dockerfile's are (quotes, escapes), against the config's Env.
  auto expanded = KILN_TRY_CTX(expand(cmd, oci::env_map(c.env), Lexer(ast.escape)), ctx);
  return with_context(apply_command(c, expanded), ctx);
}

}  // namespace kiln::dockerfile
