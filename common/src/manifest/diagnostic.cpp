#include "l1net/manifest/diagnostic.hpp"

#include <string>

namespace l1net::manifest {

std::string Diagnostic::format() const {
  std::string out;
  if (!where.file.empty()) {
    out += where.file;
    if (where.line > 0) {
      out += ':';
      out += std::to_string(where.line);
    }
    out += ": ";
  } else if (where.line > 0) {
    out += "line " + std::to_string(where.line) + ": ";
  }
  std::string subject = object;
  if (!field.empty()) {
    if (!subject.empty()) {
      subject += ' ';
    }
    subject += field;
  }
  if (!subject.empty()) {
    out += subject;
    out += ": ";
  }
  out += message;
  return out;
}

}  // namespace l1net::manifest
