// kiln ps, kiln rm, kiln commit

#include "kiln/base/strings.hpp"
#include "kiln/cli/context.hpp"
#include "kiln/cli/json_output.hpp"
#include "kiln/cli/rows.hpp"
#include "kiln/container/commit.hpp"
#include "kiln/container/containers.hpp"
#include "kiln/oci/reference.hpp"
#include "kiln/store/store.hpp"

namespace kiln::cli {

namespace {

std::string status_text(const container::ContainerRecord& c, int64_t now) {
  if (c.status == "running") {
    std::string ago = human_ago(c.created, now);
    return "Up " + ago.substr(0, ago.rfind(" ago"));
  }
  if (c.status == "exited") {
    std::string code = c.exit_code < 0 ? "unknown" : std::to_string(c.exit_code);
    return fmt::format("Exited ({}) {}", code, human_ago(c.finished, now));
  }
  return "Created";
}

std::string command_text(const std::vector<std::string>& cmd, bool no_trunc) {
  std::string s = join(cmd, " ");
  if (!no_trunc && s.size() > 20) s = s.substr(0, 19) + "…";
  return "\"" + s + "\"";
}

struct PsArgs {
  bool all = false, quiet = false, no_trunc = false;
  std::string format;
};

std::string ps_row_json(const container::ContainerRecord& c, int64_t now, bool no_trunc) {
  // Members sorted by name, as docker prints them.
  return JsonObject()
      .add("Command", command_text(c.command, true))
      .add("CreatedAt", rfc3339(c.created))
      .add("ExitCode", c.exit_code)
      .add("ID", no_trunc ? c.id : short_id(c.id))
      .add("Image", c.image)
      .add("RunningFor", human_ago(c.created, now))
      .add("Runtime", c.runtime)
      .add("State", c.status)
      .add("Status", status_text(c, now))
      .dump();
}

Status ps(Context& ctx, const PsArgs& a) {
  auto* st = KILN_TRY(ctx.store());
  auto all = KILN_TRY(container::list_containers(*st));
  std::erase_if(
      all, [&](const container::ContainerRecord& c) { return !a.all && c.status != "running"; });
  int64_t now = store::now_seconds();
  if (a.quiet) {
    for (const auto& c : all) fmt::print("{}\n", a.no_trunc ? c.id : short_id(c.id));
    return {};
  }
  if (auto done = print_formatted(a.format, all, [&](const container::ContainerRecord& c) {
        return ps_row_json(c, now, a.no_trunc);
      }))
    return *done;
  std::vector<std::vector<std::string>> rows = {
      {"CONTAINER ID", "IMAGE", "COMMAND", "CREATED", "STATUS"}};
  for (const auto& c : all)
    rows.push_back({a.no_trunc ? c.id : short_id(c.id), c.image,
                    command_text(c.command, a.no_trunc), human_ago(c.created, now),
                    status_text(c, now)});
  print_table(rows);
  return {};
}

Status rm(Context& ctx, const std::vector<std::string>& ids, bool force) {
  auto* st = KILN_TRY(ctx.store());
  for (const auto& id : ids) {
    auto c = container::find_container(*st, id);
    auto done =
        c ? container::remove_container(*st, *c, force) : Status(std::unexpected(c.error()));
    if (!done) {
      ctx.report(done.error());
      continue;
    }
    fmt::print("{}\n", id);
  }
  return {};
}

struct CommitArgs {
  std::string container, ref, message, author;
  std::vector<std::string> changes;
};

Status commit(Context& ctx, const CommitArgs& a) {
  auto* st = KILN_TRY(ctx.store());
  container::CommitOptions o;
  o.container = a.container;
  if (!a.ref.empty()) o.ref = KILN_TRY(oci::Reference::parse(a.ref));
  o.message = a.message;
  o.author = a.author;
  o.changes = a.changes;
  auto rec = KILN_TRY(container::commit_container(*st, o));
  fmt::print("{}\n", rec.config_digest.str());
  return {};
}

}  // namespace

void add_containers(CLI::App& app, Context& ctx) {
  auto pa = std::make_shared<PsArgs>();
  auto* ps_cmd = app.add_subcommand("ps", "List containers");
  ps_cmd->add_flag("-a,--all", pa->all, "Show all containers (default: only running ones)");
  ps_cmd->add_flag("-q,--quiet", pa->quiet, "Only show container IDs");
  ps_cmd->add_flag("--no-trunc", pa->no_trunc, "Do not truncate output");
  ps_cmd->add_option("--format", pa->format, "json, a Go template, or 'table TEMPLATE'");
  ps_cmd->callback([&ctx, pa] {
    if (auto s = ps(ctx, *pa); !s) ctx.report(s.error());
  });

  auto ids = std::make_shared<std::vector<std::string>>();
  auto force = std::make_shared<bool>(false);
  auto* rm_cmd = app.add_subcommand("rm", "Remove containers");
  rm_cmd->add_option("container", *ids, "Container ID or unique prefix")->required();
  rm_cmd->add_flag("-f,--force", *force, "Kill and remove a running container");
  rm_cmd->callback([&ctx, ids, force] {
    if (auto s = rm(ctx, *ids, *force); !s) ctx.report(s.error());
  });

  auto ca = std::make_shared<CommitArgs>();
  auto* commit_cmd = app.add_subcommand("commit", "Create an image from a container's changes");
  commit_cmd->add_option("container", ca->container, "Container ID or unique prefix")->required();
  commit_cmd->add_option("reference", ca->ref, "Name for the new image");
  commit_cmd->add_option("-m,--message", ca->message, "Commit message (history comment)");
  commit_cmd->add_option("-a,--author", ca->author, "Author");
  commit_cmd->add_option("-c,--change", ca->changes, "Apply a Dockerfile instruction")
      ->allow_extra_args(false);
  commit_cmd->callback([&ctx, ca] {
    if (auto s = commit(ctx, *ca); !s) ctx.report(s.error());
  });
}

}  // namespace kiln::cli
