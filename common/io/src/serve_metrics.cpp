#include <string>
#include <utility>

#include "l1net/io/http_server.hpp"
#include "l1net/metrics/registry.hpp"

namespace l1net::io {

void serveMetrics(HttpServer& server, const metrics::Registry& registry,
                  std::function<bool()> healthy, std::function<std::string()> problem) {
  server.route("/metrics", [&registry](const HttpRequest&) {
    return HttpResponse{200, std::string(metrics::kContentType), registry.encode()};
  });
  server.route(
      "/healthz", [healthy = std::move(healthy), problem = std::move(problem)](const HttpRequest&) {
        const std::string why = problem ? problem() : std::string();
        if ((!healthy || healthy()) && why.empty()) {
          return HttpResponse{200, "text/plain; charset=utf-8", "ok\n"};
        }
        return HttpResponse{503, "text/plain; charset=utf-8",
                            why.empty() ? std::string("unhealthy\n") : "unhealthy: " + why + "\n"};
      });
}

}  // namespace l1net::io
