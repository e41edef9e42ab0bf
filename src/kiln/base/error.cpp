#include "kiln/base/error.hpp"

#include <cstring>

namespace kiln {

std::string_view errc_name(Errc code) {
  switch (code) {
    case Errc::invalid_argument:
      return "invalid_argument";
    case Errc::not_found:
      return "not_found";
    case Errc::already_exists:
      return "already_exists";
    case Errc::corrupt:
      return "corrupt";
    case Errc::unsupported:
      return "unsupported";
    case Errc::unauthorized:
      return "unauthorized";
    case Errc::permission_denied:
      return "permission_denied";
    case Errc::conflict:
      return "conflict";
    case Errc::io:
      return "io";
    case Errc::failed:
      return "failed";
    case Errc::no_space:
      return "no_space";
    case Errc::cancelled:
      return "cancelled";
    case Errc::internal:
      return "internal";
  }
  return "unknown";
}

Error& Error::context(std::string_view ctx) {
  if (!ctx.empty()) m_message = fmt::format("{}: {}", ctx, m_message);
  return *this;
}

Error errno_error(std::string_view what, int err) {
  Errc code = Errc::io;
  switch (err) {
    case ENOENT:
    case ENOTDIR:
      code = Errc::not_found;
      break;
    case EEXIST:
    case ENOTEMPTY:
      code = Errc::already_exists;
      break;
    case ENOSPC:
    case EDQUOT:
      code = Errc::no_space;
      break;
    case EACCES:
    case EPERM:
    case EROFS:
      code = Errc::permission_denied;
      break;
    case EINVAL:
    case ENAMETOOLONG:
    case ELOOP:
    case EXDEV:
      code = Errc::invalid_argument;
      break;
    case EBUSY:
    case EAGAIN:
      code = Errc::conflict;
      break;
    case EINTR:
      code = Errc::cancelled;
      break;
    default:
      break;
  }
  return Error(code, fmt::format("{}: {}", what, std::strerror(err)));
}

}  // namespace kiln
