#include <fcntl.h>
#include <unistd.h>
#include <climits>
#include <cstdlib>

#include <algorithm>
#include <chrono>

#include "kiln/archive/apply.hpp"
#include "kiln/archive/tar.hpp"
#include "kiln/base/strings.hpp"
#include "kiln/builder/build.hpp"
#include "kiln/builder/cache_io.hpp"
#include "kiln/builder/state.hpp"
#include "kiln/container/export.hpp"
#include "kiln/dockerfile/dockerignore.hpp"
#include "kiln/dockerfile/source.hpp"
#include "kiln/image/copy.hpp"
#include "kiln/oci/platform.hpp"
#include "kiln/oci/reference.hpp"
#include "kiln/os/temp_dir.hpp"
#include "kiln/store/image_view.hpp"
#include "kiln/store/metadata.hpp"
#include "kiln/store/paths.hpp"
#include "kiln/transport/docker_archive.hpp"
#include "kiln/transport/oci_layout.hpp"
#include "kiln/transport/store_transport.hpp"

namespace kiln::builder {

std::string step_label(const std::string& stage, int n, int total) {
  int width = static_cast<int>(std::to_string(total).size());
  return fmt::format("[{}{:>{}}/{}]", stage.empty() ? "" : stage + " ", n, width, total);
}

namespace {

using namespace kiln::dockerfile;

std::string instruction_text(const Instruction& ins) {
  std::string t = ins.original;
  auto nl = t.find('\n');
  if (nl != std::string::npos) t = t.substr(0, nl) + " ...";
  return t;
}

constexpr std::string_view k_default_path =
    "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

// BuildKit gives every stage a PATH when its base has none.
void ensure_path(oci::ContainerConfig& c) {
  for (const auto& e : c.env)
    if (e.starts_with("PATH=")) return;
  c.env.insert(c.env.begin(), std::string(k_default_path));
}

// The platform a stage is built for: its FROM --platform, else the build's target.
Result<oci::Platform> stage_platform(const BuildEnv& env, const PlannedStage& ps) {
  if (ps.platform.empty()) return env.target;
  auto p = KILN_TRY_CTX(oci::parse_platform(ps.platform),
                        fmt::format("FROM --platform={}", ps.platform));
  if (p.os != "linux")
    return failf(Errc::unsupported, "FROM --platform={}: kiln builds only linux images",
                 ps.platform);
  return p;
}

// `explicit_platform`: the user asked for `want` (--platform or FROM --platform), so a base
// image for another platform is an error; otherwise it is used with a warning, as docker does.
Result<StageState> from_image(BuildEnv& env, const std::string& ref, const oci::Platform& want,
                              bool explicit_platform) {
  StageState s;
  if (ref == "scratch") {
    s.config.architecture = want.architecture;
    s.config.os = want.os;
    s.config.variant = want.variant;
    s.config.config = oci::ContainerConfig{};
    ensure_path(*s.config.config);
    // The platform is part of the key: the same steps on scratch give another image per platform.
    s.key = chain_key("", "FROM scratch " + oci::platform_string(want));
    // No time yet: the image's time comes from its steps, so a cached rebuild on scratch gives
    // the same image (a clock reading here outlived every cached step's time).
    s.last_created = 0;
    return s;
  }
  auto image = store::load_image(env.store, ref, want);
  if (!image) {
    if (image.error().code() == Errc::not_found)
      return failf(Errc::not_found,
                   "FROM {}: no such image in the local store (kiln build uses local images: "
                   "import or load it first)",
                   ref);
    return std::unexpected(image.error());
  }
  if (auto have = oci::platform_of(image->config); !oci::platform_matches(want, have)) {
    std::string msg = fmt::format(
        "FROM {0}: the image in the local store is for {1}, not {2} (pull it with --platform {2})",
        ref, oci::platform_string(have), oci::platform_string(want));
    if (explicit_platform) return fail(Errc::invalid_argument, msg);
    env.progress.warning(msg);
  }
  s.config = image->config;
  if (!s.config.config) s.config.config = oci::ContainerConfig{};
  s.layers = KILN_TRY(store::layer_records(env.store, *image));
  for (const auto& l : s.layers) env.lease.protect(l.digest);
  ensure_path(*s.config.config);
  s.key = chain_key("", "FROM " + image->record.manifest_digest.str());
  s.base_digest = image->record.manifest_digest.str();
  if (!oci::looks_like_id(ref))
    if (auto r = oci::Reference::parse(ref)) s.base_name = r->str();
  s.last_created = parse_rfc3339(s.config.created).value_or(0);
  if (s.config.config->shell) s.shell = *s.config.config->shell;
  return s;
}

Status dispatch(StageState& s, BuildEnv& env, const Command& cmd, const Lexer& lex, int id) {
  if (auto* run = std::get_if<Run>(&cmd)) return run_step(s, env, *run, id);
  if (std::holds_alternative<Copy>(cmd) || std::holds_alternative<Add>(cmd))
    return copy_step(s, env, cmd, id);
  if (auto* wd = std::get_if<Workdir>(&cmd)) return workdir_step(s, env, wd->path, id);
  return apply_metadata(s, env, cmd, lex);
}

bool makes_layer(const Command& cmd) {
  return std::holds_alternative<Run>(cmd) || std::holds_alternative<Copy>(cmd) ||
         std::holds_alternative<Add>(cmd) || std::holds_alternative<Workdir>(cmd);
}

// "Dockerfile:12" (the file's name as docker shows it; "" for no line).
std::string source_location(const BuildEnv& env, int line) {
  std::string file = env.dockerfile.source ? env.dockerfile.source->filename : "";
  if (file.empty() || file == "-") file = "Dockerfile";
  file = file.substr(file.rfind('/') == std::string::npos ? 0 : file.rfind('/') + 1);
  std::erase(file, '\n');
  return line > 0 ? fmt::format("{}:{}", file, line) : "";
}

// The same with ": " for error messages.
std::string location(const BuildEnv& env, int line) {
  std::string l = source_location(env, line);
  return l.empty() ? l : l + ": ";
}

// Instructions BuildKit shows as steps (a vertex each): the others change the config only
// and are neither numbered nor shown (convert.go: cmdTotal).
bool shown_as_step(const Command& cmd) {
  return std::holds_alternative<Run>(cmd) || std::holds_alternative<Copy>(cmd) ||
         std::holds_alternative<Add>(cmd) || std::holds_alternative<Workdir>(cmd);
}

// Runs one instruction; a step-like one with progress ("[build 2/5] RUN ...") and timing.
// Errors name the Dockerfile line and the instruction.
Status run_instruction(StageState& s, BuildEnv& env, const Command& raw, const std::string& text,
                       const Lexer& lex, int line, bool onbuild = false) {
  if (env.cancelled) return fail(Errc::cancelled, "interrupted");
  std::string shown = onbuild ? "ONBUILD " + text : text;
  bool step = shown_as_step(raw);
  int id = step ? env.ids++ : -1;
  std::string where = location(env, line);
  s.location = source_location(env, line);
  if (step) {
    ++s.step_n;
    env.progress.step(id, s.name, s.step_n, s.step_total, shown);
    where += step_label(s.name, s.step_n, s.step_total) + " ";
  }
  auto t0 = std::chrono::steady_clock::now();
  auto st = [&]() -> Status {
    Command cmd = raw;
    if (!std::holds_alternative<Arg>(raw)) cmd = KILN_TRY(expand(raw, expansion_env(s), lex));
    return dispatch(s, env, cmd, lex, id);
  }();
  if (!st) {
    if (step && st.error().code() != Errc::cancelled) env.progress.failed(id, st.error().message());
    return with_context(std::move(st), where + shown);
  }
  if (step)
    env.progress.done(id,
                      std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  return {};
}

// The base's ONBUILD triggers (an image's, or an earlier stage's), each with its text; they
// run before the stage's own instructions.
Result<std::vector<std::pair<Command, std::string>>> onbuild_triggers(StageState& s) {
  std::vector<std::pair<Command, std::string>> out;
  if (!s.config.config || !s.config.config->on_build) return out;
  auto triggers = *s.config.config->on_build;
  s.config.config->on_build.reset();  // triggers run once, in the child build
  for (const auto& t : triggers) {
    auto ast = KILN_TRY_CTX(parse(t, "ONBUILD trigger"), "ONBUILD " + t);
    if (ast.nodes.size() != 1)
      return failf(Errc::invalid_argument,
                   "ONBUILD {}: onbuild trigger should be a single expression", t);
    out.emplace_back(KILN_TRY_CTX(parse_command(ast.nodes[0]), "ONBUILD " + t), t);
  }
  return out;
}

}  // namespace

Status build_stage(BuildEnv& env, const PlannedStage& ps, const Lexer& lex) {
  const Stage& stage = env.dockerfile.stages.at(static_cast<size_t>(ps.index));
  StageState s;
  // As BuildKit names stages in progress: the name, "stage-N" when unnamed, nothing when the
  // Dockerfile has a single stage.
  std::string name = env.dockerfile.stages.size() == 1 ? ""
                     : stage.from.name.empty()         ? fmt::format("stage-{}", ps.index)
                                                       : stage.from.name;
  bool image_base = ps.base_stage < 0 && ps.base != "scratch";
  int from_id = image_base ? env.ids++ : -1;
  if (ps.base_stage >= 0) {
    auto& base = env.finished.at(static_cast<size_t>(ps.base_stage));
    if (!base) return failf(Errc::internal, "stage {} was not built before {}", ps.base, name);
    s = *base;
    s.cmd_set = false;
    s.args.clear();
  } else {
    auto want = KILN_TRY(stage_platform(env, ps));
    s = KILN_TRY(
        from_image(env, ps.base, want, !ps.platform.empty() || !env.opts.platform.empty()));
  }
  s.name = name;
  // A base image's history came in with the FROM line; an earlier stage's keeps its own.
  if (ps.base_stage < 0)
    s.history_locations.assign(s.config.history.size(), source_location(env, stage.line));
  auto triggers = KILN_TRY(onbuild_triggers(s));
  s.step_n = image_base ? 1 : 0;
  s.step_total = s.step_n + static_cast<int>(triggers.size());
  for (const auto& ins : stage.commands) s.step_total += shown_as_step(ins.command) ? 1 : 0;
  if (image_base) {
    env.progress.step(from_id, name, 1, s.step_total, "FROM " + ps.base);
    env.progress.done(from_id, 0);
  }
  for (const auto& [cmd, text] : triggers)
    KILN_TRY(run_instruction(s, env, cmd, text, lex, stage.line, true));
  // The target stage's last step that can make a layer: nothing runs beside that layer's job,
  // so it is made in the step (no process to start and wait for at the end).
  size_t last_layer_step = stage.commands.size();
  if (ps.index == env.plan.target)
    for (size_t i = 0; i < stage.commands.size(); ++i)
      if (makes_layer(stage.commands[i].command)) last_layer_step = i;
  for (size_t i = 0; i < stage.commands.size(); ++i) {
    const auto& ins = stage.commands[i];
    s.commit_in_step = i == last_layer_step;
    KILN_TRY(run_instruction(s, env, ins.command, instruction_text(ins), lex, ins.line));
  }
  s.commit_in_step = false;
  env.finished.at(static_cast<size_t>(ps.index)) = std::move(s);
  return {};
}

namespace {

Result<std::string> read_dockerfile(const BuildOptions& opts, const std::string& context_dir,
                                    std::string& path) {
  if (opts.dockerfile == "-") {
    path = "-";
    return os::read_fd(opts.stdin_fd);
  }
  path = opts.dockerfile.empty() ? context_dir + "/Dockerfile" : opts.dockerfile;
  auto text = os::read_file(path);
  if (!text) return failf(text.error().code(), "Dockerfile {}: {}", path, text.error().message());
  return text;
}

// A tar context on stdin is unpacked into scratch space first.
Result<std::string> unpack_context(int fd, const std::string& scratch) {
  auto dir = KILN_TRY(os::Dir::create(scratch + "/context", 0755));
  io::FdReader raw(fd);
  auto tar = KILN_TRY(archive::TarReader::open_compressed(raw));
  archive::ApplyOptions o;
  o.whiteouts = false;
  o.same_owner = false;
  KILN_TRY_CTX(archive::apply_layer(dir, *tar, o), "build context from stdin");
  return scratch + "/context";
}

// The store root's path relative to the context when it lies inside it (and has no glob
// characters that a .dockerignore pattern would read as such).
std::optional<std::string> store_inside(const std::string& store_root, const std::string& context) {
  char a[PATH_MAX], b[PATH_MAX];
  if (!::realpath(store_root.c_str(), a) || !::realpath(context.c_str(), b)) return std::nullopt;
  std::string s(a), c(b);
  if (c != "/") c += "/";
  if (!s.starts_with(c) || s.size() == c.size()) return std::nullopt;
  std::string rel = s.substr(c.size());
  if (rel.find_first_of("*?[\\!") != std::string::npos) return std::nullopt;
  return rel;
}

Status write_output(store::Store& store, const BuildOptions& opts, const store::ImageRecord& rec) {
  if (opts.output.type == Output::Type::kiln) return {};
  auto image = KILN_TRY(store::load_image(store, rec.manifest_digest.str()));
  if (opts.output.dest.empty()) return fail(Errc::invalid_argument, "--output needs dest=");
  if (opts.output.type == Output::Type::tar) {
    if (opts.output.dest == "-") {
      io::FdWriter out(1);
      return container::export_rootfs(store, image, out);
    }
    int fd = ::open(opts.output.dest.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return fail_errno(fmt::format("--output {}", opts.output.dest));
    Fd owner(fd);
    io::FdWriter out(fd);
    return container::export_rootfs(store, image, out);
  }
  if (opts.output.type == Output::Type::oci || opts.output.type == Output::Type::docker) {
    auto src = KILN_TRY(transport::store_source(store, rec.manifest_digest.str()));
    std::string tmp = store.root() + "/" + std::string(store::paths::tmp_dir);
    auto sink = opts.output.type == Output::Type::docker
                    ? KILN_TRY(transport::docker_archive_sink(opts.output.dest, "", tmp))
                : opts.output.as_tar
                    ? KILN_TRY(transport::layout_archive_sink(opts.output.dest, "", tmp))
                    : KILN_TRY(transport::layout_dir_sink(opts.output.dest, ""));
    image::CopyOptions co;
    co.scratch_dir = tmp;
    for (const auto& t : opts.tags) co.names.push_back(KILN_TRY(oci::Reference::parse(t)).str());
    KILN_TRY(image::copy_image(*src, *sink, co));
    return sink->finish();
  }
  auto dir = KILN_TRY(os::Dir::create(opts.output.dest, 0755));
  return container::apply_layers(store, image.manifest.layers, image.config.rootfs.diff_ids, dir);
}

}  // namespace

namespace {

// The context directory (unpacked from stdin for "-").
Result<std::string> context_dir_of(const BuildOptions& opts, const std::string& scratch) {
  if (opts.context == "-") {
    if (opts.dockerfile == "-")
      return fail(Errc::invalid_argument, "the context and the Dockerfile cannot both be stdin");
    return unpack_context(opts.stdin_fd, scratch);
  }
  struct stat st {};
  if (::stat(opts.context.c_str(), &st) != 0 || !S_ISDIR(st.st_mode))
    return failf(Errc::not_found, "build context {:?} is not a directory", opts.context);
  return opts.context;
}

// --platform: the one target platform (linux only), or this machine's.
Result<oci::Platform> target_platform(const BuildOptions& opts) {
  if (opts.platform.empty()) return oci::host_platform();
  if (opts.platform.find(',') != std::string::npos)
    return failf(Errc::unsupported,
                 "--platform {}: kiln builds one platform at a time; build each platform "
                 "with its own tag",
                 opts.platform);
  auto target = KILN_TRY_CTX(oci::parse_platform(opts.platform), "--platform");
  if (target.os != "linux")
    return failf(Errc::unsupported, "--platform {}: kiln builds only linux images", opts.platform);
  return target;
}

Result<Plan> plan_build(const Dockerfile& df, const BuildOptions& opts, const oci::Platform& target,
                        Progress& progress) {
  PlanOptions po;
  po.build_args = opts.build_args;
  po.target = opts.target;
  oci::Platform host = oci::host_platform();
  po.platforms.build_os = host.os;
  po.platforms.build_arch = host.architecture;
  po.platforms.build_variant = host.variant;
  po.platforms.target_os = target.os;
  po.platforms.target_arch = target.architecture;
  po.platforms.target_variant = target.variant;
  auto plan = KILN_TRY(make_plan(df, po));
  for (const auto& a : plan.unused_build_args)
    progress.warning(fmt::format("build-arg {:?} was given but not consumed by any ARG", a));
  return plan;
}

// The context as a SourceTree, filtered by its .dockerignore (and never holding the store).
Result<SourceTree> open_context(const store::Store& store, const std::string& context_dir,
                                const std::string& df_path) {
  std::string ignore_path = dockerfile::ignore_file_for(context_dir, df_path == "-" ? "" : df_path);
  std::string itext;
  if (!ignore_path.empty()) itext = KILN_TRY(os::read_file(ignore_path));
  // kiln's own store inside the context is never part of it (COPY . would copy the store,
  // scratch space of this very build included): a last pattern, which no "!" line can undo.
  if (auto rel = store_inside(store.root(), context_dir)) itext += "\n/" + *rel + "\n";
  IgnoreMatcher ignore;
  if (!itext.empty())
    ignore = KILN_TRY_CTX(IgnoreMatcher::parse(itext),
                          ignore_path.empty() ? std::string("context") : ignore_path);
  return SourceTree::open(context_dir, ignore, "context");
}

// The target stage's result as an image in the store, with the tags and --label.
Result<store::ImageRecord> store_result(store::Store& store, store::Lease& lease,
                                        const BuildOptions& opts, const StageState& final_state,
                                        int64_t now) {
  store::Assembled img;
  img.config = final_state.config;
  // No time known (metadata steps alone on scratch, or on a base without a time): made now.
  int64_t created = final_state.last_created != 0 ? final_state.last_created : now;
  img.config.created = rfc3339(opts.source_date_epoch.value_or(created));
  auto& labels = img.config.config->labels;
  if (!final_state.base_digest.empty()) {
    labels["org.opencontainers.image.base.digest"] = final_state.base_digest;
    if (final_state.base_name.empty())
      labels.erase("org.opencontainers.image.base.name");  // not the base's base
    else
      labels["org.opencontainers.image.base.name"] = final_state.base_name;
  }
  for (const auto& [k, v] : opts.labels) img.config.config->labels[k] = v;
  img.layers = final_state.layers;
  for (const auto& t : opts.tags) {
    auto ref = KILN_TRY_CTX(oci::Reference::parse(t), fmt::format("-t {}", t));
    img.names.push_back(ref.str());
  }
  return store::store_image(store, lease, img);
}

}  // namespace

Result<BuildResult> build_image(store::Store& store, sandbox::Executor& executor,
                                const BuildOptions& opts, Progress& progress) {
  std::string scratch_root = store.root() + "/" + std::string(store::paths::tmp_dir);
  KILN_TRY(os::Dir::create(scratch_root, 0700));
  auto scratch = KILN_TRY(os::TempDir::create("build", scratch_root));
  std::string context_dir = KILN_TRY(context_dir_of(opts, scratch.path()));
  std::string df_path;
  auto text = KILN_TRY(read_dockerfile(opts, context_dir, df_path));
  auto ast = KILN_TRY(parse(text, df_path == "-" ? "Dockerfile" : df_path));
  auto df = KILN_TRY(parse_instructions(ast));
  for (const auto& w : df.warnings) progress.warning(w.message);
  oci::Platform target = KILN_TRY(target_platform(opts));
  auto plan = KILN_TRY(plan_build(df, opts, target, progress));
  auto context = KILN_TRY(open_context(store, context_dir, df_path));

  auto lease = KILN_TRY(store.lease());
  if (!opts.cache_from.empty()) {
    int n = KILN_TRY(import_cache(store, lease, opts.cache_from));
    if (n > 0)
      progress.info(fmt::format("imported {} build cache entries from {}", n, opts.cache_from));
  }
  LayerJobs jobs(store.root(), opts.layer_maker);
  auto mode = container::choose_snapshotter(store);
  bool beside = mode == container::Snapshotter::overlay && !opts.layer_maker.empty();
  Trees trees(store, lease, mode, scratch.path(), beside ? &jobs : nullptr);
  std::vector<std::optional<StageState>> finished(df.stages.size());
  std::atomic<int> ids{1};
  std::atomic<bool> cancelled{false};
  BuildEnv env{store,     lease,
               executor,  opts,
               progress,  trees,
               context,   context_dir,
               df,        plan,
               finished,  ids,
               cancelled, 0,
               {},        store::now_seconds(),
               target,    std::make_shared<CacheMountResets>()};
  Lexer lex(df.escape);
  Status built = build_stages(env, lex);
  Status made = jobs.finish(store, lease);  // also after a failure: the steps done are cached
  KILN_TRY(built);
  KILN_TRY(made);

  StageState& final_state = *finished.at(static_cast<size_t>(plan.target));
  KILN_TRY(trees.complete(final_state.layers));
  // Layers made beside the build had placeholder diffIDs until now.
  final_state.config.rootfs.diff_ids = diff_ids(final_state.layers);
  auto rec = KILN_TRY(store_result(store, lease, opts, final_state, env.now));
  final_state.history_locations.resize(final_state.config.history.size());
  KILN_TRY(store.metadata().put_build_sources(rec.config_digest, final_state.history_locations));
  KILN_TRY(write_output(store, opts, rec));
  if (!opts.cache_to.empty())
    KILN_TRY_CTX(export_cache(store, env.used_keys, opts.cache_to), "--cache-to");
  return BuildResult{rec.config_digest, rec.manifest_digest, ids - 1, env.cached_steps};
}

}  // namespace kiln::builder
