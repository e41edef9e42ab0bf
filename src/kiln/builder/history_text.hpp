// Internal to build/: the text BuildKit writes into a history entry's created_by and the
// config values it derives from an instruction (dockerfile2llb: convert.go, convert_expose.go),
// byte for byte, so that `kiln history` matches `docker history` of the same Dockerfile.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "kiln/base/error.hpp"
#include "kiln/oci/types.hpp"

namespace kiln::builder {

// Go's fmt "%q" of a []string: ["a" "b c"] (CMD, ENTRYPOINT).
std::string go_quoted_list(const std::vector<std::string>& v);
// Go's fmt "%v" of a []string: [a b c] (VOLUME, SHELL, EXPOSE).
std::string go_list(const std::vector<std::string>& v);
// Go's time.Duration.String() of nanoseconds: 0s, 100ms, 1.5s, 1m30s, 1h0m0s.
std::string go_duration(int64_t ns);
// "HEALTHCHECK %+v" of docker's HealthcheckConfig:
// HEALTHCHECK {Test:[CMD-SHELL curl -f x] Interval:30s Timeout:0s StartPeriod:0s
// StartInterval:0s Retries:0}
std::string healthcheck_text(const oci::HealthConfig& h);
// One EXPOSE word ("80", "8000-8002", "53/udp", "1.2.3.4:80:80/tcp") as BuildKit expands it:
// one "PORT/proto" per port of the range, proto lower-cased (tcp when absent).
Result<std::vector<std::string>> expose_ports(const std::string& word);

}  // namespace kiln::builder
