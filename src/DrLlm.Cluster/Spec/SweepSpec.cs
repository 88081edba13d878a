using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using DrLlm.Routing.Routers;
using DrLlm.Routing.Search;
using DrLlm.Tasks;
using DrLlm.Tasks.Loading;

namespace DrLlm.Cluster.Spec;

/// <summary>A sweep spec that does not validate: every problem, each as "SOURCE: field.path: what is wrong".</summary>
public sealed class SpecException(IReadOnlyList<string> errors)
    : FormatException(string.Join(Environment.NewLine, errors))
{
    public IReadOnlyList<string> Errors { get; } = errors;
}

/// <summary>How a task's items are drawn: split, count, sampling seed.</summary>
public sealed record TaskSample(string Split, int N, int SampleSeed);

/// <summary>A task of a sweep: in-domain tasks are searched (labels), trained on and evaluated on a held-out split;
/// out-of-domain tasks are only evaluated.</summary>
public sealed record SpecTask(string Name, string? File, bool InDomain, TaskSample? Search, TaskSample Eval)
{
    public string Domain => InDomain ? "in-domain" : "out-of-domain";

    public IReadOnlyList<TaskItem> Items(TaskSample s) =>
        TaskRegistry.Resolve(Name, File, File is null && !Name.Contains(':') ? null : new LoadOptions { Split = s.Split })
            .Sample(s.Split, s.N, s.SampleSeed);
}

/// <summary>One point of the search grid plus the router settings: what an experiment runs with.</summary>
public sealed record ExperimentSettings(SearchOptions Search, int CheckpointEvery, int Sessions, RouterTrainingOptions Router)
{
    public string Key => string.Create(CultureInfo.InvariantCulture,
        $"sims={Search.Simulations} c={Search.Exploration} lambda={Search.LengthPenalty} p={Search.RandomChildProbability}");

    private static readonly JsonSerializerOptions Snake = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
    public string ToJson() => JsonSerializer.Serialize(this, Snake);
    public static ExperimentSettings FromJson(string json) =>
        JsonSerializer.Deserialize<ExperimentSettings>(json, Snake) ?? throw new FormatException("empty experiment settings");
}

/// <summary>
/// A sweep: base models × in-domain tasks × search-settings grid × seeds, each experiment evaluated on its task's
/// held-out split and on every out-of-domain task. Read from JSON or YAML (the same fields; see README "Sweeps").
/// </summary>
public sealed record SweepSpec(
    string Name,
    IReadOnlyList<string> Models,
    IReadOnlyList<SpecTask> Tasks,
    IReadOnlyList<ExperimentSettings> Grid,
    IReadOnlyList<int> Seeds)
{
    public sealed record ExperimentPlan(string Model, SpecTask Task, ExperimentSettings Settings, int Seed);

    /// <summary>Most experiments one sweep may expand to (DRLLM_MAX_EXPERIMENTS overrides it).</summary>
    public const int DefaultMaxExperiments = 10_000;
    /// <summary>Most searched plus evaluated examples one sweep may ask for (DRLLM_MAX_EXAMPLES overrides it).</summary>
    public const int DefaultMaxExamples = 2_000_000;

    /// <summary>The experiments of the sweep, in a fixed order.</summary>
    public IEnumerable<ExperimentPlan> Experiments() =>
        from m in Models from t in Tasks where t.InDomain from g in Grid from s in Seeds select new ExperimentPlan(m, t, g, s);

    public IEnumerable<SpecTask> OutOfDomain => Tasks.Where(t => !t.InDomain);

    /// <summary>How many experiments the sweep expands to.</summary>
    public int ExperimentCount => Models.Count * Tasks.Count(t => t.InDomain) * Grid.Count * Seeds.Count;

    /// <summary>Searched plus evaluated examples over all experiments (each evaluates its task and every out-of-domain one).</summary>
    public long ExampleCount => (long)Models.Count * Grid.Count * Seeds.Count *
        Tasks.Where(t => t.InDomain).Sum(t => (long)(t.Search?.N ?? 0) + t.Eval.N + OutOfDomain.Sum(o => (long)o.Eval.N));

    /// <summary>The normalised spec (every default filled in) as JSON: what the sweeps row stores and nodes expand.</summary>
    public string ToJson() => new JsonObject
    {
        ["name"] = Name,
        ["models"] = new JsonArray([.. Models.Select(m => (JsonNode)m)]),
        ["tasks"] = new JsonArray([.. Tasks.Select(t => (JsonNode)new JsonObject
        {
            ["name"] = t.Name,
            ["file"] = t.File,
            ["domain"] = t.Domain,
            ["search"] = t.Search is null ? null : Sample(t.Search),
            ["eval"] = Sample(t.Eval),
        })]),
        ["grid"] = new JsonArray([.. Grid.Select(g => JsonNode.Parse(g.ToJson()))]),
        ["seeds"] = new JsonArray([.. Seeds.Select(s => (JsonNode)s)]),
    }.ToJsonString();

    private static JsonObject Sample(TaskSample s) => new() { ["split"] = s.Split, ["n"] = s.N, ["sample_seed"] = s.SampleSeed };

    public static SweepSpec Load(string file)
    {
        if (!System.IO.File.Exists(file)) throw new FileNotFoundException($"{file}: no such sweep spec");
        return Parse(SpecText.ReadFile(file), file);
    }

    /// <summary>Parses JSON (text starting with '{') or YAML within <see cref="SpecText"/>'s limits, then validates; <paramref name="source"/> names it in errors.</summary>
    public static SweepSpec Parse(string text, string source) => FromTree(SpecText.Parse(text, source), source);

    /// <summary>Validates a spec already read by <see cref="SpecText.Parse"/> (which is not changed).</summary>
    public static SweepSpec FromTree(JsonNode? root, string source)
    {
        if (root is not JsonObject obj) throw new SpecException([$"{source}: the spec must be an object with name, models, tasks, …"]);
        return new Reader(source).Read(obj);
    }

    /// <summary>Reads and checks every field, collecting all errors before failing.</summary>
    private sealed class Reader(string source)
    {
        private readonly List<string> _errors = [];

        private void Error(string path, string message) => _errors.Add($"{source}: {path}: {message}");

        public SweepSpec Read(JsonObject o)
        {
            Known(o, "", "name", "models", "tasks", "search", "router", "seeds");
            var name = Str(o, "name", "name", required: true) ?? "";
            var models = new List<string>();
            if (o["models"] is JsonArray ma && ma.Count > 0)
                for (int i = 0; i < ma.Count; i++)
                {
                    var m = ma[i] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;
                    if (string.IsNullOrWhiteSpace(m)) Error($"models[{i}]", "must be a model name (as nodes host it: drllm node --models NAME=PATH)");
                    else if (models.Contains(m)) Error($"models[{i}]", $"'{m}' is listed twice");
                    else models.Add(m);
                }
            else Error("models", o["models"] is null ? "required: a list of base model names" : "must be a non-empty list of model names");

            var tasks = new List<SpecTask>();
            if (o["tasks"] is JsonArray ta && ta.Count > 0)
                for (int i = 0; i < ta.Count; i++)
                    if (ReadTask(ta[i], $"tasks[{i}]") is { } t) tasks.Add(t);
                    else { }
            else Error("tasks", o["tasks"] is null ? "required: a list of tasks" : "must be a non-empty list of tasks");
            if (tasks.Count > 0 && tasks.All(t => !t.InDomain)) Error("tasks", "no in-domain task: an experiment searches and trains on an in-domain task");
            foreach (var dup in tasks.GroupBy(t => t.Name).Where(g => g.Count() > 1)) Error("tasks", $"task '{dup.Key}' is listed twice");

            var (grid, gridSize) = ReadGrid(o["search"] as JsonObject, o["router"] as JsonObject);
            if (o["search"] is not null and not JsonObject) Error("search", "must be an object");
            if (o["router"] is not null and not JsonObject) Error("router", "must be an object");

            var seeds = new List<int>();
            if (o["seeds"] is null) seeds.Add(0);
            else if (o["seeds"] is JsonArray sa && sa.Count > 0)
                for (int i = 0; i < sa.Count; i++)
                {
                    if (sa[i] is JsonValue v && v.TryGetValue<long>(out var s) && s is >= int.MinValue and <= int.MaxValue)
                    {
                        if (seeds.Contains((int)s)) Error($"seeds[{i}]", $"seed {s} is listed twice");
                        else seeds.Add((int)s);
                    }
                    else Error($"seeds[{i}]", $"must be an integer, got {sa[i]?.ToJsonString() ?? "null"}");
                }
            else Error("seeds", "must be a non-empty list of integers");

            if (_errors.Count > 0) throw new SpecException(_errors);
            // Sized before anything is built: a 4-axis grid × seeds can name millions of experiments, and a sweep's
            // expansion writes every one (and its examples) in one transaction.
            double experiments = (double)models.Count * tasks.Count(t => t.InDomain) * gridSize * seeds.Count;
            int limit = Limit("DRLLM_MAX_EXPERIMENTS", DefaultMaxExperiments);
            if (experiments > limit)
                throw new SpecException([$"{source}: the spec expands to {experiments:N0} experiments ({models.Count} model(s) × " +
                    $"{tasks.Count(t => t.InDomain)} in-domain task(s) × {gridSize:N0} search setting(s) × {seeds.Count} seed(s)), more than the " +
                    $"limit of {limit:N0}; split it into several sweeps or raise DRLLM_MAX_EXPERIMENTS"]);
            // Each experiment searches and evaluates its own in-domain task and evaluates every out-of-domain one.
            double perTask = (double)models.Count * gridSize * seeds.Count, ood = tasks.Where(t => !t.InDomain).Sum(t => (double)t.Eval.N);
            double examples = tasks.Where(t => t.InDomain).Sum(t => perTask * ((t.Search?.N ?? 0) + t.Eval.N + ood));
            int rows = Limit("DRLLM_MAX_EXAMPLES", DefaultMaxExamples);
            if (examples > rows)
                throw new SpecException([$"{source}: the spec asks for about {examples:N0} searched and evaluated examples over its " +
                    $"{experiments:N0} experiments, more than the limit of {rows:N0}; lower n, split the sweep, or raise DRLLM_MAX_EXAMPLES"]);
            return new SweepSpec(name, models, tasks, [.. grid], seeds);
        }

        private SpecTask? ReadTask(JsonNode? node, string path)
        {
            if (node is not JsonObject o) { Error(path, "must be an object with name, search and/or eval"); return null; }
            int before = _errors.Count;
            Known(o, path + ".", "name", "file", "domain", "search", "eval");
            var name = Str(o, "name", path + ".name", required: true);
            var file = Str(o, "file", path + ".file", required: false);
            bool? inDomain = null;
            if (Str(o, "domain", path + ".domain", required: false) is { } d)
            {
                if (d is "in-domain" or "in") inDomain = true;
                else if (d is "out-of-domain" or "ood" or "out") inDomain = false;
                else Error(path + ".domain", $"must be 'in-domain' or 'out-of-domain', got '{d}'");
            }
            if (name is not null)
            {
                try { TaskRegistry.Resolve(name, file); }
                catch (ArgumentException e) { Error(path + ".name", e.Message); return null; }
                inDomain ??= TaskRegistry.Families.FirstOrDefault(f => f.Name == (name.Contains(':') ? name[..name.IndexOf(':')] : name))?.InDomain ?? true;
            }
            var search = ReadSample(o["search"], path + ".search", "train", 16);
            var eval = ReadSample(o["eval"], path + ".eval", "test", 16);
            if (inDomain == true && o["search"] is null) Error(path + ".search", "required for an in-domain task (the split MCTS labels): {split, n}");
            if (inDomain == false && o["search"] is not null) Error(path + ".search", "an out-of-domain task is only evaluated; remove 'search' or set domain: in-domain");
            if (o["eval"] is null) Error(path + ".eval", "required: the split to evaluate on, {split, n}");
            if (search is not null && eval is not null && search.Split == eval.Split && search.SampleSeed == eval.SampleSeed && inDomain == true)
                Error(path + ".eval.split", $"evaluates on the split it searches and trains on ('{eval.Split}'); use a held-out split");
            if (_errors.Count > before || name is null || eval is null) return null;
            var t = new SpecTask(name, file, inDomain ?? true, inDomain == true ? search : null, eval);
            // Draw the items now, so a split the task does not have or a file that does not load is an error here.
            foreach (var (s, role) in new[] { (t.Search, "search"), (t.Eval, "eval") })
            {
                if (s is null) continue;
                try
                {
                    var items = t.Items(s);
                    if (items.Count == 0) Error($"{path}.{role}", $"task '{name}' has no items in split '{s.Split}'");
                }
                catch (Exception e) when (e is ArgumentException or FormatException or IOException)
                {
                    Error($"{path}.{role}.split", e.Message);
                }
            }
            return _errors.Count > before ? null : t;
        }

        private TaskSample? ReadSample(JsonNode? node, string path, string defaultSplit, int defaultN)
        {
            if (node is null) return null;
            if (node is not JsonObject o) { Error(path, "must be an object {split, n, sample_seed}"); return null; }
            Known(o, path + ".", "split", "n", "sample_seed");
            var split = Str(o, "split", path + ".split", required: false) ?? defaultSplit;
            if (split is not ("train" or "validation" or "test")) Error(path + ".split", $"must be train, validation or test, got '{split}'");
            int n = Int(o, "n", path + ".n", defaultN, 1, 100_000);
            int seed = Int(o, "sample_seed", path + ".sample_seed", 0, int.MinValue, int.MaxValue);
            return new TaskSample(split, n, seed);
        }

        /// <summary>The grid of search settings (lazily: the caller checks its size first) and its size.</summary>
        private (IEnumerable<ExperimentSettings> Grid, double Size) ReadGrid(JsonObject? s, JsonObject? r)
        {
            var d = new SearchOptions();
            s ??= [];
            Known(s, "search.", "simulations", "exploration", "length_penalty", "random_child_probability", "max_skip", "allow_repeat",
                "early_stop_saved_steps", "early_stop_saved_fraction", "early_stop_on_fix", "early_stop_after_siblings", "default_wins_ties",
                "checkpoint_every", "sessions");
            var sims = Grid(s, "simulations", d.Simulations, 0, 100_000).Select(x => (int)x).ToList();
            var cs = Grid(s, "exploration", d.Exploration, 0, 100);
            var lambdas = Grid(s, "length_penalty", d.LengthPenalty, 0, 100);
            var ps = Grid(s, "random_child_probability", d.RandomChildProbability, 0, 1);
            int maxSkip = Int(s, "max_skip", "search.max_skip", d.MaxSkip, 1, 64);
            bool allowRepeat = Bool(s, "allow_repeat", "search.allow_repeat", d.AllowRepeat);
            int earlySaved = Int(s, "early_stop_saved_steps", "search.early_stop_saved_steps", d.EarlyStopSavedSteps, 0, 1000);
            double earlyFraction = Num(s, "early_stop_saved_fraction", "search.early_stop_saved_fraction", d.EarlyStopSavedFraction, 0, 1);
            bool earlyFix = Bool(s, "early_stop_on_fix", "search.early_stop_on_fix", d.EarlyStopOnFix);
            bool afterSiblings = Bool(s, "early_stop_after_siblings", "search.early_stop_after_siblings", d.EarlyStopAfterSiblings);
            bool defaultWins = Bool(s, "default_wins_ties", "search.default_wins_ties", d.DefaultWinsTies);
            int every = Int(s, "checkpoint_every", "search.checkpoint_every", 5, 1, 100_000);
            int sessions = Int(s, "sessions", "search.sessions", 0, 0, 64); // 0: the host sizes the pool (SessionPool.AutoSize)

            var rd = new RouterTrainingOptions();
            r ??= [];
            Known(r, "router.", "epochs", "hidden", "windows", "batch_size", "learning_rate", "weight_decay", "warmup_steps", "validation_share", "focal_gamma",
                "class_balance_beta");
            var router = new RouterTrainingOptions
            {
                Epochs = Int(r, "epochs", "router.epochs", rd.Epochs, 1, 10_000),
                Hidden = Int(r, "hidden", "router.hidden", rd.Hidden, 1, 65_536),
                Windows = Int(r, "windows", "router.windows", rd.Windows, 1, 1024),
                BatchSize = Int(r, "batch_size", "router.batch_size", rd.BatchSize, 1, 1_000_000),
                LearningRate = Num(r, "learning_rate", "router.learning_rate", rd.LearningRate, 1e-9, 10),
                WeightDecay = Num(r, "weight_decay", "router.weight_decay", rd.WeightDecay, 0, 10),
                WarmupSteps = r["warmup_steps"] is null ? null : Int(r, "warmup_steps", "router.warmup_steps", 0, 0, 1_000_000),
                ValidationShare = Num(r, "validation_share", "router.validation_share", rd.ValidationShare, 0.01, 0.9),
                FocalGamma = Num(r, "focal_gamma", "router.focal_gamma", rd.FocalGamma, 0, 10),
                ClassBalanceBeta = Num(r, "class_balance_beta", "router.class_balance_beta", rd.ClassBalanceBeta, 1e-9, 0.999999),
            };
            var grid = from n in sims from c in cs from l in lambdas from p in ps
                       select new ExperimentSettings(new SearchOptions
                       {
                           Simulations = n, Exploration = c, LengthPenalty = l, RandomChildProbability = p, MaxSkip = maxSkip,
                           AllowRepeat = allowRepeat, EarlyStopSavedSteps = earlySaved, EarlyStopSavedFraction = earlyFraction,
                           EarlyStopOnFix = earlyFix, EarlyStopAfterSiblings = afterSiblings, DefaultWinsTies = defaultWins,
                       }, every, sessions, router);
            return (grid, (double)sims.Count * cs.Count * lambdas.Count * ps.Count);
        }

        /// <summary>A limit from the environment (a positive integer), or its default.</summary>
        private static int Limit(string variable, int dflt) =>
            Environment.GetEnvironmentVariable(variable) is { Length: > 0 } v
                ? int.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n > 0 ? n
                    : throw new SpecException([$"{variable}: must be a positive integer, got '{v}'"])
                : dflt;

        private void Known(JsonObject o, string prefix, params string[] names)
        {
            foreach (var key in o.Select(kv => kv.Key))
                if (!names.Contains(key)) Error(prefix + key, $"unknown field (known: {string.Join(", ", names)})");
        }

        private string? Str(JsonObject o, string key, string path, bool required)
        {
            var n = o[key];
            if (n is null) { if (required) Error(path, "required"); return null; }
            if (n is JsonValue v && v.TryGetValue<string>(out var s) && !string.IsNullOrWhiteSpace(s)) return s;
            Error(path, $"must be a non-empty string, got {n.ToJsonString()}");
            return null;
        }

        private int Int(JsonObject o, string key, string path, int dflt, int min, int max)
        {
            var n = o[key];
            if (n is null) return dflt;
            if (n is JsonValue v && v.TryGetValue<long>(out var x))
            {
                if (x >= min && x <= max) return (int)x;
                Error(path, $"must be in {min}..{max}, got {x}");
                return dflt;
            }
            Error(path, $"must be an integer, got {n.ToJsonString()}");
            return dflt;
        }

        private double Num(JsonObject o, string key, string path, double dflt, double min, double max)
        {
            var n = o[key];
            if (n is null) return dflt;
            if (n is JsonValue v && (v.TryGetValue<double>(out var x) || (v.TryGetValue<long>(out var l) && (x = l) == l)))
            {
                if (x >= min && x <= max) return x;
                Error(path, string.Create(CultureInfo.InvariantCulture, $"must be in [{min}, {max}], got {x}"));
                return dflt;
            }
            Error(path, $"must be a number, got {n.ToJsonString()}");
            return dflt;
        }

        private bool Bool(JsonObject o, string key, string path, bool dflt)
        {
            var n = o[key];
            if (n is null) return dflt;
            if (n is JsonValue v && v.TryGetValue<bool>(out var b)) return b;
            Error(path, $"must be true or false, got {n.ToJsonString()}");
            return dflt;
        }

        /// <summary>A grid axis: one number or a non-empty list of numbers.</summary>
        private List<double> Grid(JsonObject o, string key, double dflt, double min, double max)
        {
            var n = o[key];
            if (n is null) return [dflt];
            var items = n is JsonArray a ? a.ToList() : [n];
            if (items.Count == 0) { Error($"search.{key}", "an empty list: give one value or several"); return [dflt]; }
            var r = new List<double>();
            for (int i = 0; i < items.Count; i++)
            {
                string path = n is JsonArray ? $"search.{key}[{i}]" : $"search.{key}";
                if (items[i] is JsonValue v && (v.TryGetValue<double>(out var x) || (v.TryGetValue<long>(out var l) && (x = l) == l)))
                {
                    if (x < min || x > max) Error(path, string.Create(CultureInfo.InvariantCulture, $"must be in [{min}, {max}], got {x}"));
                    else if (key == "simulations" && x != Math.Floor(x)) Error(path, $"must be an integer, got {x}");
                    else if (r.Contains(x)) Error(path, string.Create(CultureInfo.InvariantCulture, $"{x} is listed twice"));
                    else r.Add(x);
                }
                else Error(path, $"must be a number, got {items[i]?.ToJsonString() ?? "null"}");
            }
            return r.Count == 0 ? [dflt] : r;
        }
    }
}
