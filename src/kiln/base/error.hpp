// Errors as values (DESIGN.md habit 1).
//
// kiln::Result<T> is std::expected<T, kiln::Error>. An Error has a small code and a message;
// each hop adds context in front ("load x.tar: layer 3: sha256 mismatch"). Only cli/ turns an
// Error into text and an exit code. Thread-safe as a value type.
#pragma once

#include <cerrno>
#include <expected>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

namespace kiln {

enum class Errc {
  invalid_argument,  // the caller's input is malformed
  not_found,
  already_exists,
  corrupt,      // stored or received data fails verification
  unsupported,  // well-formed but not something kiln handles
  unauthorized,
  permission_denied,
  conflict,  // concurrent modification, locked, in use
  io,        // an OS-level failure not covered above
  no_space,  // ENOSPC / EDQUOT
  cancelled,
  internal,  // a kiln bug
  failed,    // a process the user asked for exited non-zero (a RUN step)
};

std::string_view errc_name(Errc code);

class Error {
 public:
  Error(Errc code, std::string message) : m_code(code), m_message(std::move(message)) {}

  Errc code() const { return m_code; }
  const std::string& message() const { return m_message; }

  // Prefixes "ctx: " to the message.
  Error& context(std::string_view ctx);

 private:
  Errc m_code;
  std::string m_message;
};

template <class T>
using Result = std::expected<T, Error>;
using Status = Result<void>;

inline std::unexpected<Error> fail(Errc code, std::string message) {
  return std::unexpected<Error>(Error(code, std::move(message)));
}

template <class... Args>
std::unexpected<Error> failf(Errc code, fmt::format_string<Args...> f, Args&&... args) {
  return fail(code, fmt::format(f, std::forward<Args>(args)...));
}

// Maps an errno value to an Error: "what: strerror". ENOENT -> not_found, ENOSPC -> no_space, ...
Error errno_error(std::string_view what, int err = errno);
inline std::unexpected<Error> fail_errno(std::string_view what, int err = errno) {
  return std::unexpected<Error>(errno_error(what, err));
}

// Adds context to the error of a Result, if any, and returns it.
template <class T>
Result<T> with_context(Result<T>&& r, std::string_view ctx) {
  if (!r) r.error().context(ctx);
  return std::move(r);
}

}  // namespace kiln

// KILN_TRY(expr): evaluates a Result; on error returns it from the enclosing function,
// otherwise yields the value. KILN_TRY_CTX adds context on the way out.
#define KILN_TRY(expr)                                                        \
  ({                                                                          \
    auto&& kiln_try_r_ = (expr);                                              \
    if (!kiln_try_r_) return std::unexpected(std::move(kiln_try_r_).error()); \
    std::move(kiln_try_r_).value();                                           \
  })

#define KILN_TRY_CTX(expr, ctx)                          \
  ({                                                     \
    auto&& kiln_try_r_ = (expr);                         \
    if (!kiln_try_r_) {                                  \
      auto kiln_try_e_ = std::move(kiln_try_r_).error(); \
      kiln_try_e_.context(ctx);                          \
      return std::unexpected(std::move(kiln_try_e_));    \
    }                                                    \
    std::move(kiln_try_r_).value();                      \
  })
