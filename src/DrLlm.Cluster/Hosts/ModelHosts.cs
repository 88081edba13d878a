namespace DrLlm.Cluster.Hosts;

/// <summary>
/// The base models this silo loaded (once each, before it joined the cluster), and per model the slots that bound how
/// many work items run on it at once (--concurrency). Work grains placed here take a slot for as long as they run;
/// more of them wait. The counts feed the ModelHost grain's report.
/// </summary>
public sealed class ModelHosts(IReadOnlyDictionary<string, IModelHost> hosts, int concurrency) : IDisposable
{
    private readonly Dictionary<string, Slots> _slots = hosts.Keys.ToDictionary(m => m, _ => new Slots(concurrency));

    public int Concurrency { get; } = concurrency;
    public IEnumerable<string> Models => hosts.Keys;
    public IModelHost? Get(string model) => hosts.GetValueOrDefault(model);
    public Slots SlotsOf(string model) => _slots[model];

    public sealed class Slots(int count)
    {
        private readonly SemaphoreSlim _free = new(count, count);
        private int _waiting;
        private long _served;
        public int Count => count;
        public int Busy => count - _free.CurrentCount;
        public int Waiting => Volatile.Read(ref _waiting);
        public long Served => Interlocked.Read(ref _served);

        /// <summary>Waits for a free slot; dispose the result to give it back.</summary>
        public async Task<IDisposable> Take(CancellationToken ct)
        {
            Interlocked.Increment(ref _waiting);
            try { await _free.WaitAsync(ct); }
            finally { Interlocked.Decrement(ref _waiting); }
            Interlocked.Increment(ref _served);
            return new Release(_free);
        }

        private sealed class Release(SemaphoreSlim s) : IDisposable
        {
            private int _done;
            public void Dispose() { if (Interlocked.Exchange(ref _done, 1) == 0) s.Release(); }
        }
    }

    public void Dispose()
    {
        foreach (var h in hosts.Values) h.Dispose();
    }
}
