#include "kiln/os/clock.hpp"

#include <ctime>
#include <thread>

namespace kiln::os {
namespace {

class RealClock final : public Clock {
 public:
  time_point now() override { return std::chrono::steady_clock::now(); }
  void sleep_for(std::chrono::milliseconds d) override { std::this_thread::sleep_for(d); }
  int64_t unix_seconds() override { return static_cast<int64_t>(::time(nullptr)); }
};

}  // namespace

Clock& real_clock() {
  static RealClock c;
  return c;
}

}  // namespace kiln::os
