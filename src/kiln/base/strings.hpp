// Small string helpers used across layers.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace kiln {

std::vector<std::string> split(std::string_view s, char sep);
std::string join(const std::vector<std::string>& parts, std::string_view sep);
std::string_view trim(std::string_view s);
std::string to_lower(std::string_view s);
std::optional<int64_t> parse_int(std::string_view s);
// "512", "64k", "10M", "64G", "1T" (binary units, an optional trailing "b"/"B", as docker's
// --memory): bytes, or nullopt when malformed or out of range.
std::optional<int64_t> parse_byte_size(std::string_view s);

// "1.5MB", "10kB", "512B": docker's human size (decimal units, 3 significant digits).
std::string human_size(int64_t bytes);
// "2 hours ago", "3 weeks ago": docker's HumanDuration of (now - then), seconds since epoch.
std::string human_ago(int64_t then, int64_t now);
// RFC 3339 with nanoseconds as Go prints time.Time ("2024-01-02T03:04:05.123456789Z").
std::string rfc3339(int64_t seconds, int64_t nanos = 0);
// Parses RFC 3339 (Z or +hh:mm offset, optional fraction) into seconds since the epoch.
std::optional<int64_t> parse_rfc3339(std::string_view s);
// Truncates an ID for display (12 characters of hex, after an optional "sha256:").
std::string short_id(std::string_view id);

}  // namespace kiln
