#include "l1net/metrics/registry.hpp"

#include <cmath>
#include <functional>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "l1net/testing/doctest.hpp"

namespace metrics = l1net::metrics;

TEST_CASE("formatValue") {
  struct Case {
    const char* name;
    double v;
    const char* want;
  };
  const double inf = std::numeric_limits<double>::infinity();
  const std::vector<Case> cases = {
      {"zero", 0.0, "0"},
      {"negative zero", -0.0, "0"},
      {"one", 1.0, "1"},
      {"negative integer", -42.0, "-42"},
      {"million has no exponent", 1e6, "1000000"},
      {"2^53 - 1", 9007199254740991.0, "9007199254740991"},
      {"fraction", 0.5, "0.5"},
      {"shortest round trip", 0.1, "0.1"},
      {"small", 1.5e-7, "1.5e-07"},
      {"huge", 1e300, "1e+300"},
      {"+Inf", inf, "+Inf"},
      {"-Inf", -inf, "-Inf"},
      {"NaN", std::nan(""), "NaN"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) { CHECK(metrics::formatValue(c.v) == c.want); }
  }
}

TEST_CASE("escaping") {
  struct Case {
    const char* name;
    std::string in;
    const char* want_label;
    const char* want_help;
  };
  const std::vector<Case> cases = {
      {"plain", "web", "web", "web"},
      {"backslash", R"(a\b)", R"(a\\b)", R"(a\\b)"},
      {"quote", R"(say "hi")", R"(say \"hi\")", R"(say "hi")"},
      {"newline", "a\nb", R"(a\nb)", R"(a\nb)"},
      {"utf-8 untouched", "caf\xc3\xa9", "caf\xc3\xa9", "caf\xc3\xa9"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      CHECK(metrics::escapeLabelValue(c.in) == c.want_label);
      CHECK(metrics::escapeHelp(c.in) == c.want_help);
    }
  }
}

TEST_CASE("name validation") {
  struct Case {
    const char* name;
    const char* text;
    bool metric_ok;
    bool label_ok;
  };
  const std::vector<Case> cases = {
      {"snake", "l1net_allocations_total", true, true},
      {"colon only metric", "job:rate5m", true, false},
      {"leading digit", "1abc", false, false},
      {"empty", "", false, false},
      {"dash", "a-b", false, false},
      {"reserved label prefix", "__name__", true, false},
      {"leading underscore", "_x", true, true},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      CHECK(metrics::isValidMetricName(c.text) == c.metric_ok);
      CHECK(metrics::isValidLabelName(c.text) == c.label_ok);
    }
  }
}

TEST_CASE("Registry::encode") {
  struct Case {
    const char* name;
    std::function<void(metrics::Registry&)> build;
    std::string want;
  };
  const std::vector<Case> cases = {
      {"empty registry", [](metrics::Registry&) {}, ""},
      {"family without series keeps HELP and TYPE",
       [](metrics::Registry& r) { r.gauge("l1net_up", "Whether it runs."); },
       "# HELP l1net_up Whether it runs.\n# TYPE l1net_up gauge\n"},
      {"unlabelled counter",
       [](metrics::Registry& r) { r.counter("l1net_reloads_total", "Reloads.").inc(); },
       "# HELP l1net_reloads_total Reloads.\n# TYPE l1net_reloads_total counter\n"
       "l1net_reloads_total 1\n"},
      {"families sorted by name, series by labels",
       [](metrics::Registry& r) {
         auto& b = r.gauge("b_gauge", "B.");
         b.set({{"pool", "z"}}, 2);
         b.set({{"pool", "a"}}, 1.5);
         r.counter("a_total", "A.").add({{"zone", "x"}, {"ip", "192.0.2.1"}}, 3);
       },
       "# HELP a_total A.\n# TYPE a_total counter\n"
       "a_total{ip=\"192.0.2.1\",zone=\"x\"} 3\n"
       "# HELP b_gauge B.\n# TYPE b_gauge gauge\n"
       "b_gauge{pool=\"a\"} 1.5\n"
       "b_gauge{pool=\"z\"} 2\n"},
      {"label values and help escaped",
       [](metrics::Registry& r) {
         r.gauge("g", "line1\nback\\slash").set({{"v", "a\"b\\c\nd"}}, 1);
       },
       "# HELP g line1\\nback\\\\slash\n# TYPE g gauge\n"
       "g{v=\"a\\\"b\\\\c\\nd\"} 1\n"},
      {"special values",
       [](metrics::Registry& r) {
         auto& g = r.gauge("g", "G.");
         g.set({{"k", "inf"}}, std::numeric_limits<double>::infinity());
         g.set({{"k", "nan"}}, std::nan(""));
         g.set({{"k", "neg"}}, -std::numeric_limits<double>::infinity());
       },
       "# HELP g G.\n# TYPE g gauge\n"
       "g{k=\"inf\"} +Inf\ng{k=\"nan\"} NaN\ng{k=\"neg\"} -Inf\n"},
      {"remove drops one series",
       [](metrics::Registry& r) {
         auto& g = r.gauge("announced", "A.");
         g.set({{"svc", "a"}}, 1);
         g.set({{"svc", "b"}}, 1);
         CHECK(g.remove({{"svc", "a"}}));
         CHECK_FALSE(g.remove({{"svc", "nope"}}));
       },
       "# HELP announced A.\n# TYPE announced gauge\nannounced{svc=\"b\"} 1\n"},
      {"clear drops stale series, re-set keeps live ones",
       [](metrics::Registry& r) {
         auto& g = r.gauge("announced", "A.");
         g.set({{"svc", "old"}}, 1);
         g.set({{"svc", "live"}}, 1);
         g.clear();
         g.set({{"svc", "live"}}, 1);
       },
       "# HELP announced A.\n# TYPE announced gauge\nannounced{svc=\"live\"} 1\n"},
      {"same name twice returns the same family",
       [](metrics::Registry& r) {
         r.counter("c_total", "First.").inc();
         r.counter("c_total", "Second help ignored.").inc();
       },
       "# HELP c_total First.\n# TYPE c_total counter\nc_total 2\n"},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      metrics::Registry r;
      c.build(r);
      CHECK(r.encode() == c.want);
    }
  }
}

TEST_CASE("Family values") {
  metrics::Registry r;
  auto& g = r.gauge("g", "G.");
  CHECK(g.value({{"a", "1"}}) == 0.0);
  CHECK_FALSE(g.contains({{"a", "1"}}));
  g.add({{"a", "1"}}, 2.5);
  g.add({{"a", "1"}}, -1);
  CHECK(g.value({{"a", "1"}}) == 1.5);
  CHECK(g.size() == 1);
  CHECK(r.find("g") == &g);
  CHECK(r.find("nope") == nullptr);
  const metrics::Registry& cr = r;
  CHECK(cr.find("g") == &g);
}

TEST_CASE("broken invariants throw") {
  struct Case {
    const char* name;
    std::function<void(metrics::Registry&)> act;
  };
  const std::vector<Case> cases = {
      {"bad metric name", [](metrics::Registry& r) { r.gauge("bad-name", ""); }},
      {"bad label name",
       [](metrics::Registry& r) {
         r.gauge("g", "").set({{"a b", "x"}}, 1);
       }},
      {"type clash",
       [](metrics::Registry& r) {
         r.gauge("x", "");
         r.counter("x", "");
       }},
      {"negative counter add", [](metrics::Registry& r) { r.counter("c", "").add({}, -1); }},
  };
  for (const auto& c : cases) {
    SUBCASE(c.name) {
      metrics::Registry r;
      CHECK_THROWS_AS(c.act(r), std::invalid_argument);
    }
  }
}
