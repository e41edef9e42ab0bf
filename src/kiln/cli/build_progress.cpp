#include "kiln/cli/build_progress.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <deque>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include <fmt/format.h>

namespace kiln::cli {
namespace {

using Clock = std::chrono::steady_clock;

double since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

std::string first_line(const std::string& s) {
  return s.substr(0, s.find('\n'));
}

std::string label(const std::string& stage, int n, int total) {
  return builder::step_label(stage, n, total);
}

class PlainProgress final : public BuildProgress {
 public:
  explicit PlainProgress(bool quiet) : m_quiet(quiet) {}
  void step(int id, const std::string& stage, int n, int total, const std::string& text) override {
    std::lock_guard lk(m_mu);
    m_start[id] = Clock::now();
    if (!m_quiet) print("#{} {} {}\n", id, label(stage, n, total), text);
  }
  void cached(int id) override {
    std::lock_guard lk(m_mu);
    m_ended.insert(id);
    if (!m_quiet) print("#{} CACHED\n", id);
  }
  void done(int id, double seconds) override {
    std::lock_guard lk(m_mu);
    if (!m_ended.insert(id).second) return;  // CACHED already ended it
    if (!m_quiet) print("#{} DONE {:.1f}s\n", id, seconds);
  }
  void failed(int id, const std::string& message) override {
    std::lock_guard lk(m_mu);
    m_ended.insert(id);
    if (!m_quiet) print("#{} ERROR: {}\n", id, first_line(message));
  }
  void output(int id, std::string_view line) override {
    std::lock_guard lk(m_mu);
    if (m_quiet) return;
    auto it = m_start.find(id);
    double t = it == m_start.end() ? 0 : since(it->second);
    print("#{} {:.3f} {}\n", id, t, line);
  }
  void warning(const std::string& message) override {
    std::lock_guard lk(m_mu);
    print("WARNING: {}\n", message);
  }
  void info(const std::string& message) override {
    std::lock_guard lk(m_mu);
    if (!m_quiet) print("{}\n", message);
  }
  void finish() override {}

 private:
  template <class... A>
  static void print(fmt::format_string<A...> f, A&&... args) {
    fmt::print(stderr, f, std::forward<A>(args)...);
    std::fflush(stderr);
  }
  bool m_quiet;
  std::mutex m_mu;
  std::map<int, Clock::time_point> m_start;
  std::set<int> m_ended;
};

// The live view. Events update the model under the mutex; a thread redraws it ten times a
// second (and at once on an event), moving the cursor back over what it drew last time.
class TtyProgress final : public BuildProgress {
 public:
  TtyProgress() : m_begin(Clock::now()) {
    m_thread = std::jthread([this](std::stop_token stop) {
      std::unique_lock lk(m_mu);
      while (!stop.stop_requested()) {
        m_cv.wait_for(lk, std::chrono::milliseconds(100));
        if (!m_finished) render();
      }
    });
  }
  ~TtyProgress() override { finish(); }

  void step(int id, const std::string& stage, int n, int total, const std::string& text) override {
    std::lock_guard lk(m_mu);
    m_order.push_back(id);
    Step st;
    st.text = label(stage, n, total) + " " + text;
    st.start = Clock::now();
    m_steps[id] = std::move(st);
    m_cv.notify_one();
  }
  void cached(int id) override { end(id, 0, State::cached); }
  void done(int id, double seconds) override { end(id, seconds, State::done); }
  void failed(int id, const std::string&) override { end(id, -1, State::failed); }
  void output(int id, std::string_view line) override {
    std::lock_guard lk(m_mu);
    auto it = m_steps.find(id);
    if (it == m_steps.end()) return;
    auto& tail = it->second.tail;
    tail.emplace_back(line);
    if (tail.size() > k_tail_lines) tail.pop_front();
  }
  void warning(const std::string& message) override {
    std::lock_guard lk(m_mu);
    m_after.push_back("WARNING: " + message);
  }
  void info(const std::string& message) override {
    std::lock_guard lk(m_mu);
    if (m_finished)
      fmt::print(stderr, "{}\n", message);
    else
      m_after.push_back(message);
  }
  void finish() override {
    if (m_thread.joinable()) {
      m_thread.request_stop();
      m_cv.notify_one();
      m_thread.join();
    }
    std::lock_guard lk(m_mu);
    if (m_finished) return;
    m_finished = true;
    render();
    for (const auto& m : m_after) fmt::print(stderr, "{}\n", m);
    std::fflush(stderr);
  }

 private:
  enum class State { running, done, cached, failed };
  struct Step {
    std::string text;
    Clock::time_point start;
    State state = State::running;
    double seconds = 0;
    std::deque<std::string> tail;
  };
  static constexpr size_t k_tail_lines = 6;

  void end(int id, double seconds, State st) {
    std::lock_guard lk(m_mu);
    auto it = m_steps.find(id);
    if (it == m_steps.end() || it->second.state != State::running) return;
    it->second.state = st;
    it->second.seconds = seconds >= 0 ? seconds : since(it->second.start);
    m_cv.notify_one();
  }

  static size_t width() {
    struct winsize ws {};
    if (ioctl(2, TIOCGWINSZ, &ws) == 0 && ws.ws_col >= 20) return ws.ws_col;
    return 80;
  }

  // "text ... time", cut or padded to the terminal's width.
  static std::string row(std::string text, const std::string& time, size_t cols) {
    size_t room = cols - 1 - time.size();
    if (text.size() > room) text = text.substr(0, room - 1) + "…";
    return text + std::string(room > text.size() ? room - text.size() : 0, ' ') + time;
  }

  void render() {
    size_t cols = width();
    std::vector<std::string> lines;
    int ended = 0;
    for (int id : m_order) ended += m_steps[id].state != State::running;
    lines.push_back(fmt::format("[+] Building {:.1f}s ({}/{}){}", since(m_begin), ended,
                                m_order.size(), m_finished ? " FINISHED" : ""));
    for (int id : m_order) {
      const Step& s = m_steps[id];
      double t = s.state == State::running ? since(s.start) : s.seconds;
      std::string prefix = s.state == State::cached   ? " => CACHED "
                           : s.state == State::failed ? " => ERROR "
                                                      : " => ";
      lines.push_back(row(prefix + s.text, fmt::format("{:.1f}s", t), cols));
      if (s.state == State::running || s.state == State::failed)
        for (const auto& l : s.tail) lines.push_back(row(" => => # " + l, "", cols));
    }
    std::string out;
    if (m_drawn > 0) out += fmt::format("\x1b[{}A", m_drawn);
    for (const auto& l : lines) out += "\r\x1b[2K" + l + "\n";
    out += "\x1b[J";  // what the last view drew below this one
    fmt::print(stderr, "{}", out);
    std::fflush(stderr);
    m_drawn = lines.size();
  }

  Clock::time_point m_begin;
  std::mutex m_mu;
  std::condition_variable m_cv;
  std::vector<int> m_order;
  std::map<int, Step> m_steps;
  std::vector<std::string> m_after;
  size_t m_drawn = 0;
  bool m_finished = false;
  std::jthread m_thread;  // last: stopped before the members it reads go
};

}  // namespace

std::unique_ptr<BuildProgress> make_build_progress(ProgressMode mode) {
  if (mode == ProgressMode::tty) return std::make_unique<TtyProgress>();
  return std::make_unique<PlainProgress>(mode == ProgressMode::quiet);
}

}  // namespace kiln::cli
