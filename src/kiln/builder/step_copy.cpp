// COPY, ADD and WORKDIR: files written straight into a layer (no process runs).
#include <fcntl.h>

#include "kiln/base/strings.hpp"
#include "kiln/builder/copy.hpp"
#include "kiln/builder/fetch.hpp"
#include "kiln/builder/state.hpp"
#include "kiln/os/temp_dir.hpp"
#include "kiln/store/image_view.hpp"

namespace kiln::builder {

namespace {

using namespace kiln::dockerfile;

struct CopyParams {
  const SourcesAndDest* paths = nullptr;
  std::string from, chown, chmod, checksum;
  bool parents = false, add = false, link = false;
  std::vector<std::string> excludes;
  std::string keyword;
};

CopyParams params_of(const Command& cmd) {
  CopyParams p;
  if (auto* c = std::get_if<Copy>(&cmd)) {
    p = {&c->paths,  c->from, c->chown, c->chmod,    "",
         c->parents, false,   c->link,  c->excludes, "COPY"};
  } else if (auto* a = std::get_if<Add>(&cmd)) {
    p = {&a->paths, "", a->chown, a->chmod, a->checksum, false, true, a->link, a->excludes, "ADD"};
  }
  return p;
}

Result<std::optional<uint32_t>> parse_chmod(const std::string& s) {
  if (s.empty()) return std::optional<uint32_t>();
  uint32_t v = 0;
  for (char c : s) {
    if (c < '0' || c > '7')
      return failf(Errc::invalid_argument, "--chmod={}: only octal modes are supported", s);
    v = v * 8 + static_cast<uint32_t>(c - '0');
  }
  if (v > 07777) return failf(Errc::invalid_argument, "--chmod={}: mode out of range", s);
  return std::optional(v);
}

std::string absolute_dest(const StageState& s, const std::string& dest) {
  std::string wd = s.config.config ? s.config.config->working_dir : "";
  if (wd.empty()) wd = "/";
  std::string d = dest.starts_with('/') ? dest : (wd.ends_with('/') ? wd : wd + "/") + dest;
  bool slash = d.ends_with('/') || dest == "." || dest.ends_with("/.");
  std::string clean = go_clean(d);
  if (slash && !clean.ends_with('/')) clean += '/';
  return clean;
}

// Expands every source pattern. A wildcard that matches nothing is fine when another source
// matches something, as in BuildKit; the step fails only when nothing matches at all.
Result<std::vector<std::vector<std::string>>> expand_sources(
    const SourceTree& src, const std::vector<std::string>& patterns, const std::string& keyword) {
  std::vector<std::vector<std::string>> out;
  std::optional<Error> unmatched;
  size_t matched = 0;
  auto failed = [&](Error e) {
    e.context(keyword);
    return std::unexpected(std::move(e));
  };
  for (const auto& pattern : patterns) {
    auto e = src.expand(pattern);
    if (!e && e.error().code() == Errc::not_found &&
        pattern.find_first_of("*?[") != std::string::npos) {
      if (!unmatched) unmatched = e.error();
      continue;
    }
    if (!e) return failed(e.error());
    matched += e->size();
    out.push_back(std::move(*e));
  }
  if (matched == 0 && unmatched) return failed(*unmatched);
  return out;
}

// Splits COPY/ADD sources into local paths and URLs; refuses git sources and URLs in COPY.
Status split_sources(const CopyParams& p, std::vector<std::string>& local,
                     std::vector<std::string>& urls) {
  for (const auto& src : p.paths->sources) {
    bool url = src.starts_with("http://") || src.starts_with("https://");
    if (src.starts_with("git@") || src.starts_with("git://") ||
        (url && src.find(".git") != std::string::npos && src.ends_with(".git")))
      return failf(Errc::unsupported, "{} {}: git sources are not supported by kiln", p.keyword,
                   src);
    if (url && !p.add)
      return failf(Errc::invalid_argument, "COPY {}: source can't be a URL (use ADD)", src);
    (url ? urls : local).push_back(src);
  }
  return {};
}

// Where and how the sources go: destination, --chmod, --parents, unpacking, --exclude.
Result<CopySpec> copy_spec(const StageState& s, const CopyParams& p) {
  const auto& paths = *p.paths;
  CopySpec spec;
  spec.dest = absolute_dest(s, paths.dest);
  spec.mode = KILN_TRY(parse_chmod(p.chmod));
  spec.parents = p.parents;
  spec.unpack = p.add;
  if (!p.excludes.empty()) spec.excludes = KILN_TRY(IgnoreMatcher::from_patterns(p.excludes));
  size_t n_sources = paths.sources.size() + paths.contents.size();
  bool wildcard = false;
  for (const auto& src : paths.sources) wildcard |= src.find_first_of("*?[") != std::string::npos;
  spec.dest_is_dir = n_sources > 1 || wildcard;
  if (spec.dest_is_dir && !spec.dest.ends_with('/'))
    return failf(Errc::invalid_argument,
                 "When using {} with more than one source file, the destination must be a "
                 "directory and end with a /",
                 p.keyword);
  return spec;
}

// ADD's remote sources, downloaded first (their content is part of the cache key).
struct Downloads {
  std::optional<os::TempDir> dir;
  std::optional<SourceTree> tree;
  std::vector<std::string> names;
  std::string key;
};

Result<Downloads> download(BuildEnv& env, const std::vector<std::string>& urls,
                           const std::optional<Digest>& checksum) {
  Downloads d;
  if (urls.empty()) return d;
  std::string tmp_parent = env.store.root() + "/tmp";
  KILN_TRY(os::Dir::create(tmp_parent, 0700));
  d.dir.emplace(KILN_TRY(os::TempDir::create("download", tmp_parent)));
  auto dir = KILN_TRY(os::Dir::open(d.dir->path()));
  for (const auto& url : urls) {
    auto f = KILN_TRY_CTX(fetch_url(url, dir, checksum), "ADD");
    d.names.push_back(f.name);
    d.key += fmt::format("url {} {}\n", url, f.digest);
  }
  d.tree = KILN_TRY(SourceTree::open(d.dir->path(), IgnoreMatcher{}, "download"));
  return d;
}

// What a COPY/ADD's cache key covers besides its parent: the instruction, what identifies
// its sources' content, and every option that changes the result.
std::string copy_key_text(const CopyParams& p, const std::string& source_key,
                          const std::string& dest) {
  return fmt::format("{}\n{}\nsrc {}\ndest {}\nchown {}\nchmod {}\nparents {}\nexclude {}\n{}",
                     p.keyword, join(p.paths->sources, "\n"), source_key, dest, p.chown, p.chmod,
                     p.parents, join(p.excludes, ","), p.add ? "unpack" : "");
}

// ADD --checksum: the digest its one URL source must have.
Result<std::optional<Digest>> checksum_of(const CopyParams& p,
                                          const std::vector<std::string>& local_sources,
                                          const std::vector<std::string>& urls) {
  if (p.checksum.empty()) return std::optional<Digest>();
  if (urls.size() != 1 || !local_sources.empty())
    return fail(Errc::invalid_argument, "ADD --checksum needs exactly one http(s) source");
  return std::optional<Digest>(KILN_TRY_CTX(Digest::parse(p.checksum), "ADD --checksum"));
}

// The history line, as BuildKit's convert_copy.go writes it: --parents, --chown, --chmod;
// never --from.
std::string copy_created_by(const CopyParams& p) {
  const auto& paths = *p.paths;
  std::string shown = join(paths.sources, " ");
  for (const auto& h : paths.contents) shown += (shown.empty() ? "<<" : " <<") + h.name;
  std::string flags;
  if (p.parents) flags += "--parents ";
  if (!p.chown.empty()) flags += "--chown=" + p.chown + " ";
  if (!p.chmod.empty()) flags += "--chmod=" + p.chmod + " ";
  return fmt::format("{} {}{} {} # buildkit", p.keyword, flags, shown, paths.dest);
}

// What a COPY reads, and the text that identifies its content for the cache key.
struct CopySources {
  std::string key;
  std::vector<std::vector<std::string>> expanded;  // context sources, by source argument
  std::vector<store::LayerRecord> from_layers;     // --from: the other stage's or image's layers
};

Result<CopySources> identify_sources(BuildEnv& env, const CopyParams& p,
                                     const std::vector<std::string>& local_sources,
                                     const CopySpec& spec, const Downloads& dl) {
  CopySources out;
  if (!p.from.empty()) {
    // Another stage or an image: its identity is the key; its tree is mounted only on a miss.
    auto ref = KILN_TRY(resolve_from(env, p.from));
    out.from_layers = std::move(ref.layers);
    out.key = ref.key;
  } else {
    out.expanded = KILN_TRY(expand_sources(env.context, local_sources, p.keyword));
    std::vector<std::string> all;
    for (const auto& e : out.expanded) all.insert(all.end(), e.begin(), e.end());
    out.key = "context " + KILN_TRY(env.context.content_key(all, spec.excludes));
  }
  for (const auto& h : p.paths->contents) out.key += "\nheredoc " + h.name + "\n" + h.content;
  out.key += dl.key;
  return out;
}

// Writes the sources, downloads and heredocs into root. source_root is the other stage's (or
// image's) tree, mounted read-only next to ours, for COPY --from.
Status write_copy(const CopyParams& p, const CopySpec& spec, CopySources& srcs, const Downloads& dl,
                  const SourceTree& context, const os::Dir& root, const std::string& source_root) {
  std::optional<SourceTree> other;
  const SourceTree* src = &context;
  if (!p.from.empty()) {
    other = KILN_TRY(SourceTree::open(source_root, IgnoreMatcher{}, p.from));
    src = &*other;
    srcs.expanded = KILN_TRY(expand_sources(*src, p.paths->sources, p.keyword));
  }
  CopySpec local = spec;
  local.keep_owner = !p.from.empty();  // files of another stage or image keep uid and gid
  if (!p.chown.empty()) {
    auto [uid, gid] =
        KILN_TRY_CTX(resolve_chown(root, p.chown), fmt::format("--chown={}", p.chown));
    local.uid = uid;
    local.gid = gid;
  }
  for (const auto& e : srcs.expanded) KILN_TRY(copy_sources(*src, e, root, local));
  if (dl.tree) {
    // Downloaded files are not unpacked, and are mode 0600 unless --chmod says otherwise.
    CopySpec remote = local;
    remote.unpack = false;
    if (!remote.mode) remote.mode = 0600;
    KILN_TRY(copy_sources(*dl.tree, dl.names, root, remote));
  }
  if (!p.paths->contents.empty()) KILN_TRY(copy_heredocs(p.paths->contents, root, local));
  return {};
}

}  // namespace

Status copy_step(StageState& s, BuildEnv& env, const Command& cmd, int id) {
  CopyParams p = params_of(cmd);
  std::vector<std::string> local_sources, urls;
  KILN_TRY(split_sources(p, local_sources, urls));
  auto checksum = KILN_TRY(checksum_of(p, local_sources, urls));
  CopySpec spec = KILN_TRY(copy_spec(s, p));
  Downloads dl = KILN_TRY(download(env, urls, checksum));
  CopySources srcs = KILN_TRY(identify_sources(env, p, local_sources, spec, dl));

  std::string created_by = copy_created_by(p);
  std::string key = chain_key(s.key, copy_key_text(p, srcs.key, spec.dest));
  if (KILN_TRY(use_cache(s, env, key, created_by, id))) return {};

  auto tree = KILN_TRY(env.trees.open(s.layers));
  auto work = [&](const os::Dir& root, const std::string& source_root) {
    return write_copy(p, spec, srcs, dl, env.context, root, source_root);
  };
  auto st = p.from.empty() ? env.trees.with_mounted(
                                 tree.get(), [&](const os::Dir& root) { return work(root, ""); })
                           : env.trees.with_mounted_source(tree.get(), srcs.from_layers, work);
  if (!st) return with_context(std::move(st), p.keyword);
  CommitOptions co{env.opts.compression, env.opts.source_date_epoch, s.commit_in_step};
  auto layer = KILN_TRY(tree.commit(co));
  return record_step(s, env, key, layer, created_by);
}

Status workdir_step(StageState& s, BuildEnv& env, const std::string& path, int id) {
  auto& cfg =
      s.config.config ? *s.config.config : (s.config.config = oci::ContainerConfig{}).value();
  std::string wd =
      path.starts_with('/') ? path : (cfg.working_dir.empty() ? "/" : cfg.working_dir) + "/" + path;
  wd = go_clean(wd);
  cfg.working_dir = wd;
  std::string created_by = "WORKDIR " + wd;
  if (wd == "/") {
    s.key = chain_key(s.key, created_by);
    add_history(s, env, created_by, std::nullopt, s.last_created);
    return {};
  }
  std::string key = chain_key(s.key, created_by + "\nuser " + cfg.user);
  if (KILN_TRY(use_cache(s, env, key, created_by, id))) return {};
  auto tree = KILN_TRY(env.trees.open(s.layers));
  std::string user = cfg.user;
  auto st = env.trees.with_mounted(tree.get(), [&](const os::Dir& root) -> Status {
    uint32_t uid = 0, gid = 0;
    if (!user.empty()) std::tie(uid, gid) = KILN_TRY(resolve_chown(root, user));
    KILN_TRY(make_dirs(root, wd, uid, gid));
    return {};
  });
  if (!st) return with_context(std::move(st), "WORKDIR");
  CommitOptions co{env.opts.compression, env.opts.source_date_epoch, s.commit_in_step};
  auto layer = KILN_TRY(tree.commit(co));
  return record_step(s, env, key, layer, created_by);  // BuildKit: no " # buildkit" here
}

}  // namespace kiln::builder
