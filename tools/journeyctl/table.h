// Column-aligned text tables for the terminal. Widths count UTF-8 code points,
// so Swedish letters (å, ä, ö) do not push columns out of line.
#pragma once

#include <algorithm>
#include <ostream>
#include <string>
#include <vector>

namespace journey::tools {

inline std::size_t display_width(const std::string& s) {
  std::size_t n = 0;
  for (unsigned char c : s) n += (c & 0xC0) != 0x80;
  return n;
}

class Table {
 public:
  explicit Table(std::vector<std::string> header) : header_(std::move(header)) {}
  void add(std::vector<std::string> row) { rows_.push_back(std::move(row)); }
  bool empty() const { return rows_.empty(); }
  // Orders rows by the number in their first column (e.g. log positions).
  void sort_by_first_number() {
    std::stable_sort(rows_.begin(), rows_.end(), [](const auto& a, const auto& b) {
      return std::stoull(a.at(0)) < std::stoull(b.at(0));
    });
  }

  void print(std::ostream& os) const {
    std::vector<std::size_t> w(header_.size(), 0);
    auto measure = [&](const std::vector<std::string>& r) {
      for (std::size_t i = 0; i < r.size() && i < w.size(); ++i)
        w[i] = std::max(w[i], display_width(r[i]));
    };
    measure(header_);
    for (const auto& r : rows_) measure(r);
    auto line = [&](const std::vector<std::string>& r) {
      std::string out;
      for (std::size_t i = 0; i < w.size(); ++i) {
        const std::string cell = i < r.size() ? r[i] : "";
        out += cell;
        if (i + 1 < w.size()) out += std::string(w[i] - display_width(cell) + 2, ' ');
      }
      while (!out.empty() && out.back() == ' ') out.pop_back();
      os << out << '\n';
    };
    line(header_);
    std::vector<std::string> rule;
    for (auto x : w) rule.push_back(std::string(x, '-'));
    line(rule);
    for (const auto& r : rows_) line(r);
  }

 private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

}  // namespace journey::tools
