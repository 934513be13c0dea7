#pragma once
// A synthetic cross-lingual case with a known answer: a clustered source
// vocabulary, a target vocabulary that is its random rotation plus noise,
// written as real .vec files and MUSE dictionaries, and the experiment that
// reads them. Words 0-49 are numerals spelled alike in both languages (for the
// identical/numerals seeds); the others differ ("s17" / "t17").

#include <string>

#include <torch/torch.h>

#include "datasets/word_vectors.h"
#include "tests/methods/method_test_util.h"

namespace graft::testing {

struct RotatedVocabulary {
  TempDir dir;
  torch::Tensor rotation;  ///< target row i = rotation applied to source row i (+ noise)
  std::string source_vec, target_vec, train_dict, test_dict;

  explicit RotatedVocabulary(std::int64_t words = 1000, std::int64_t dim = 20, double noise = 0.01,
                             std::int64_t clusters = 8, std::uint64_t seed = 3) {
    auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
    const auto centres = 2.0 * torch::randn({clusters, dim}, gen, torch::kFloat64);
    // Uneven cluster sizes and anisotropic spread: a distribution that no
    // rotation maps onto itself, so an unsupervised method can find R.
    const auto assignment = (torch::rand({words}, gen, torch::kFloat64).pow(2) * clusters).to(torch::kInt64);
    const auto scales = torch::linspace(0.3, 1.2, dim, torch::kFloat64);
    auto x = centres.index_select(0, assignment) + torch::randn({words, dim}, gen, torch::kFloat64) * scales;
    auto [q, r] = torch::linalg_qr(torch::randn({dim, dim}, gen, torch::kFloat64));
    rotation = q;
    auto y = torch::matmul(x, q.t()) + noise * torch::randn({words, dim}, gen, torch::kFloat64);

    WordVectors s, t;
    for (std::int64_t i = 0; i < words; ++i) {
      s.words.push_back(i < 50 ? std::to_string(i) : "s" + std::to_string(i));
      t.words.push_back(i < 50 ? std::to_string(i) : "t" + std::to_string(i));
    }
    s.matrix = x.to(torch::kFloat32);
    t.matrix = y.to(torch::kFloat32);
    source_vec = dir.file("source.vec");
    target_vec = dir.file("target.vec");
    write_vec(source_vec, s);
    write_vec(target_vec, t);
    WordPairs train, test;
    for (std::int64_t i = 100; i < 600; ++i) train.emplace_back(s.words[i], t.words[i]);
    for (std::int64_t i = 600; i < 900; ++i) {
      test.emplace_back(s.words[i], t.words[i]);
      if (i % 10 == 0) test.emplace_back(s.words[i], t.words[(i + 7) % words]);  // a second gold translation
    }
    test.emplace_back("unknownword", t.words[5]);  // out of vocabulary
    train_dict = dir.file("train.txt");
    test_dict = dir.file("test.txt");
    write_muse_dictionary(train_dict, train);
    write_muse_dictionary(test_dict, test);
  }

  /// An experiment over these files; the method is appended by train_small.
  std::string experiment(std::int64_t steps) const {
    return "name: rotated\n"
           "data:\n"
           "  source: {name: word_vectors, path: " + source_vec + "}\n"
           "  target: {name: word_vectors, path: " + target_vec + "}\n"
           "  dictionary: {name: bilingual_dictionary, train: " + train_dict + ", test: " + test_dict + "}\n"
           "optimizer: {name: sgd, lr: 0.1}\n"
           "steps: " + std::to_string(steps) + "\n"
           "eval_every: 0\n"
           "threads: 1\n"
           "checkpoint_every: 0\n";
  }
};

/// The final value of an evaluation metric of a run.
inline double final_metric(const RunRecord& record, const std::string& name) {
  return record.eval.columns.at(name).back();
}

}  // namespace graft::testing
