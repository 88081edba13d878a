namespace DrLlm.Cluster.Grains;

/// <summary>
/// The Sweep grain (the sweep's row id): expands the spec into experiments and their work, then advances each
/// experiment search → train → evaluate → done on a timer, starting work grains on silos with free slots and
/// re-starting any whose silo died. Any silo's watchdog wakes it (a call re-activates it after a failover).
/// </summary>
public interface ISweepGrain : IGrainWithIntegerKey
{
    /// <summary>Makes sure the sweep is being advanced (activates it and its timer); returns at once.</summary>
    Task Wake();

    /// <summary>A work grain of this sweep ended (done or failed): advance now, so its slot is filled at once.</summary>
    Task WorkEnded();

    /// <summary>The sweep's status as this activation last saw it, and how many work grains it has started.</summary>
    Task<SweepActivity> Activity();
}

[GenerateSerializer]
public sealed record SweepActivity(long SweepId, string Status, string Node, int Ticks, int Started);
