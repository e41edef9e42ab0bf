#include "kiln/builder/layer_jobs.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include "kiln/archive/tar.hpp"
#include "kiln/archive/walk.hpp"
#include "kiln/base/log.hpp"
#include "kiln/base/strings.hpp"
#include "kiln/container/snapshots.hpp"
#include "kiln/store/layer_sink.hpp"
#include "kiln/store/metadata.hpp"
#include "kiln/store/paths.hpp"

extern char** environ;

namespace kiln::builder {

Result<store::LayerRecord> make_layer(store::Store& store, store::Lease& lease,
                                      const std::string& tree, io::Compression compression,
                                      std::optional<int64_t> clamp_mtime) {
  auto sink = KILN_TRY(store::LayerSink::create(store, lease, compression));
  auto tar = KILN_TRY(archive::TarWriter::open(*sink));
  auto root = KILN_TRY(os::Dir::open(tree));
  archive::WalkOptions wo;
  wo.overlay_whiteouts = true;
  wo.clamp_mtime = clamp_mtime;
  KILN_TRY(archive::write_tree(root, *tar, wo));
  KILN_TRY(tar->finish());
  return sink->commit();
}

std::string format_job_result(const store::LayerRecord& rec, const std::string& lease_id) {
  return fmt::format("ok {} {} {} {} {} {} {}\n", rec.digest, rec.diff_id, rec.size,
                     rec.uncompressed_size, rec.content_size, rec.media_type, lease_id);
}

Result<std::pair<store::LayerRecord, std::string>> parse_job_result(std::string_view out) {
  auto f = split(std::string(trim(out)), ' ');
  auto bad = [&] { return failf(Errc::internal, "unexpected answer {:?}", std::string(out)); };
  if (f.size() != 8 || f[0] != "ok") return bad();
  store::LayerRecord rec;
  auto digest = Digest::parse(f[1]), diff_id = Digest::parse(f[2]);
  if (!digest || !diff_id) return bad();
  rec.digest = *digest;
  rec.diff_id = *diff_id;
  try {
    rec.size = std::stoll(f[3]);
    rec.uncompressed_size = std::stoll(f[4]);
    rec.content_size = std::stoll(f[5]);
  } catch (const std::exception&) {
    return bad();
  }
  rec.media_type = f[6];
  return std::pair(rec, f[7]);
}

struct LayerJob {
  store::LayerRecord pending;  // placeholder diffID, no digest
  std::string snapshots;       // the snapshots directory; the tree is <placeholder hex>/fs
  Fd hold;
  pid_t pid = -1;
  Fd out;          // the job's stdout and stderr
  Status started;  // why it could not be started
  std::mutex mu;   // guards result
  std::optional<Result<std::pair<store::LayerRecord, std::string>>> result;
};

namespace {

Status spawn(LayerJob& job, const std::vector<std::string>& args) {
  int p[2];
  if (::pipe2(p, O_CLOEXEC) != 0) return fail_errno("pipe");
  Fd read_end(p[0]), write_end(p[1]);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, write_end.get(), 1);
  posix_spawn_file_actions_adddup2(&fa, write_end.get(), 2);
  std::vector<char*> argv;
  for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
  argv.push_back(nullptr);
  int rc = posix_spawn(&job.pid, argv[0], &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) return fail_errno(fmt::format("start {}", args[0]), rc);
  job.out = std::move(read_end);
  return {};
}

// The job's answer: its output read to the end, then its exit status.
const Result<std::pair<store::LayerRecord, std::string>>& collect(LayerJob& job) {
  std::lock_guard lock(job.mu);
  if (job.result) return *job.result;
  std::string text;
  if (job.started) {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(job.out.get(), buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) break;
      text.append(buf, static_cast<size_t>(n));
    }
    int status = 0;
    while (::waitpid(job.pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
      // The answer is the last line; what the job warned about before it is passed on.
      auto lines = split(std::string(trim(text)), '\n');
      for (size_t i = 0; i + 1 < lines.size(); ++i)
        if (!trim(lines[i]).empty()) log::warn("{}", trim(lines[i]));
      job.result = parse_job_result(lines.empty() ? std::string() : lines.back());
    } else {
      std::string why(trim(text));
      if (why.starts_with("kiln: ")) why = why.substr(6);
      if (why.empty())
        why = WIFSIGNALED(status) ? fmt::format("killed by signal {}", WTERMSIG(status))
                                  : fmt::format("exit code {}", WEXITSTATUS(status));
      job.result = fail(Errc::io, why);
    }
  } else {
    job.result = std::unexpected(job.started.error());
  }
  if (!*job.result)
    job.result = failf(job.result->error().code(), "make layer from snapshot {}: {}",
                       job.pending.diff_id.hex(), job.result->error().message());
  return *job.result;
}

// Gives a made layer's snapshot its diffID as name; drops it when that name is taken (the same
// layer unpacked or made by someone else) or when the job failed.
Status name_snapshot(store::Store& store, const LayerJob& job, const store::LayerRecord* made) {
  auto snaps = KILN_TRY(os::Dir::open(job.snapshots));
  std::string from = job.pending.diff_id.hex();
  KILN_TRY(store.metadata().delete_unpacked(job.pending.diff_id.str()));
  if (made && ::renameat(snaps.fd(), from.c_str(), snaps.fd(), made->diff_id.hex().c_str()) == 0)
    return container::record_snapshot(store, made->diff_id, made->uncompressed_size);
  if (made && errno != ENOTEMPTY && errno != EEXIST)
    return fail_errno(fmt::format("rename snapshot {}", from));
  (void)snaps.remove_all(from);
  return {};
}

}  // namespace

LayerJobs::LayerJobs(std::string store_root, std::vector<std::string> maker)
    : m_root(std::move(store_root)), m_maker(std::move(maker)) {}

LayerJobs::~LayerJobs() {
  for (auto& j : m_jobs) (void)collect(*j);
}

void LayerJobs::start(const store::LayerRecord& pending, const std::string& snapshots, Fd hold,
                      io::Compression compression, std::optional<int64_t> clamp_mtime) {
  auto job = std::make_shared<LayerJob>();
  job->pending = pending;
  job->snapshots = snapshots;
  job->hold = std::move(hold);
  std::vector<std::string> args = m_maker;
  for (std::string a : {"--root", m_root.c_str(), "--lease-owner"}) args.push_back(a);
  args.push_back(std::to_string(getpid()));
  args.push_back("--compression");
  args.push_back(std::string(io::compression_name(compression)));
  if (clamp_mtime) {
    args.push_back("--clamp-mtime");
    args.push_back(std::to_string(*clamp_mtime));
  }
  args.push_back(snapshots + "/" + pending.diff_id.hex() + "/fs");
  job->started = spawn(*job, args);
  std::lock_guard lock(m_mu);
  m_jobs.push_back(std::move(job));
}

std::shared_ptr<LayerJob> LayerJobs::find(const Digest& placeholder) {
  std::lock_guard lock(m_mu);
  for (const auto& j : m_jobs)
    if (j->pending.diff_id == placeholder) return j;
  return nullptr;
}

Status LayerJobs::complete(store::LayerRecord& layer) {
  if (!layer.digest.empty()) return {};
  auto job = find(layer.diff_id);
  if (!job) return failf(Errc::internal, "layer {}: no job makes it", layer.diff_id);
  const auto& r = collect(*job);
  if (!r) return std::unexpected(r.error());
  layer = r->first;
  return {};
}

Status LayerJobs::complete(std::vector<store::LayerRecord>& layers) {
  for (auto& l : layers) KILN_TRY(complete(l));
  return {};
}

void LayerJobs::defer_cache(const store::CacheEntry& entry, const Digest& placeholder) {
  std::lock_guard lock(m_mu);
  m_deferred.emplace_back(entry, placeholder);
}

Status LayerJobs::finish(store::Store& store, store::Lease& lease) {
  std::vector<std::shared_ptr<LayerJob>> jobs;
  std::vector<std::pair<store::CacheEntry, Digest>> deferred;
  {
    std::lock_guard lock(m_mu);
    jobs = m_jobs;  // kept: complete() still reads their results
    deferred.swap(m_deferred);
  }
  Status first;
  std::vector<std::string> job_leases;
  for (auto& j : jobs) {
    const auto& r = collect(*j);
    Status named = name_snapshot(store, *j, r ? &r->first : nullptr);
    if (!r) {
      if (first) first = std::unexpected(r.error());
      continue;
    }
    if (!named && first) first = named;
    lease.protect(r->first.digest);
    job_leases.push_back(r->second);
  }
  if (!job_leases.empty()) KILN_TRY(lease.sync());
  for (const auto& id : job_leases) store.release(id);
  for (auto& [entry, placeholder] : deferred) {
    auto job = find(placeholder);
    if (!job) continue;
    const auto& r = collect(*job);
    if (!r) continue;
    const auto& made = r->first;
    KILN_TRY(store.metadata().put_layer(made));
    entry.layer_digest = made.digest.str();
    KILN_TRY(store.metadata().put_cache(entry));
  }
  return first;
}

}  // namespace kiln::builder
