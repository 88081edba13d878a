using System.Collections.Specialized;
using Quartz;

namespace DrLlm.Cluster.Node;

/// <summary>
/// Quartz 4 on PostgreSQL, clustered: every node runs one scheduler named "drllm" on the shared database.
/// Placement is by execution group: a Sweep actor's trigger carries the group "control", which every node serves; the
/// SearchTree, TrainingJob and Evaluation actors of base model M carry the group "model:M", which only nodes that host M
/// (and loaded it) serve. Quartz never acquires a trigger of a group a node does not serve, so an actor only runs where
/// its model's weights are already in memory (loaded once per node by the ModelHost), and a trigger whose model no
/// live node hosts waits until one joins. A per-node execution limit of --concurrency per model group keeps a node
/// from taking more work than it was sized for when it hosts several models. With one model the thread pool alone is
/// the limit (--concurrency threads, shared with the Sweep actors): a thread that finishes an actor is handed the next
/// trigger at once, whereas a node at an execution limit only looks again after the idle wait (1 s), which costs
/// throughput. Sweep actors fire with a higher priority, so the next free thread goes to them before the model's queue.
/// Settings: check-in every 2 s and a 6 s check-in misfire threshold, so a killed node's RequestRecovery jobs re-run
/// elsewhere within ~10 s; misfire threshold 6 s; idle wait 1 s so idle nodes notice new triggers quickly.
/// </summary>
public static class Scheduling
{
    public const string SchedulerName = "drllm";
    public const string ControlGroup = "control";
    public static string ModelGroup(string model) => "model:" + model;

    public const string SweepJobs = "sweep";
    public const string SearchJobs = "search";
    public const string TrainJobs = "train";
    public const string EvalJobs = "eval";

    public static NameValueCollection Properties(string instanceId, string connectionString, IReadOnlyList<string> models, int concurrency)
    {
        int threads = concurrency * Math.Max(1, models.Count);
        var p = new NameValueCollection
        {
            ["quartz.scheduler.instanceName"] = SchedulerName,
            ["quartz.scheduler.instanceId"] = instanceId,
            ["quartz.scheduler.idleWaitTime"] = "1000",
            ["quartz.scheduler.servedExecutionGroups"] = string.Join(",", [ControlGroup, .. models.Select(ModelGroup)]),
            ["quartz.scheduler.interruptJobsOnShutdownWithWait"] = "true",
            ["quartz.threadPool.maxConcurrency"] = threads.ToString(),
            ["quartz.jobStore.type"] = "Quartz.Impl.AdoJobStore.JobStoreTX, Quartz",
            ["quartz.jobStore.driverDelegateType"] = "Quartz.Impl.AdoJobStore.PostgreSQLDelegate, Quartz",
            ["quartz.jobStore.tablePrefix"] = "qrtz_",
            ["quartz.jobStore.dataSource"] = "main",
            ["quartz.dataSource.main.connectionString"] = connectionString,
            ["quartz.dataSource.main.provider"] = "Npgsql",
            ["quartz.jobStore.clustered"] = "true",
            ["quartz.jobStore.clusterCheckinInterval"] = "2000",
            ["quartz.jobStore.clusterCheckinMisfireThreshold"] = "6000",
            ["quartz.jobStore.misfireThreshold"] = "6000",
            ["quartz.jobStore.dbRetryInterval"] = "1000",
            ["quartz.jobStore.useProperties"] = "true",
            ["quartz.serializer.type"] = "stj",
            // The schema is created by Migrator under the advisory lock (db/ plus Quartz's own script).
            ["quartz.jobStore.schemaProvisioning"] = "Validate",
        };
        if (models.Count > 1)
            foreach (var m in models) p["quartz.executionLimit." + ModelGroup(m)] = concurrency.ToString();
        return p;
    }

    public static ValueTask<IScheduler> Create(string instanceId, string connectionString, IReadOnlyList<string> models, int concurrency) =>
        QuartzSchedulerBuilder.Create().UseProperties(Properties(instanceId, connectionString, models, concurrency)).BuildScheduler();

    /// <summary>
    /// Schedules a one-shot, recoverable actor job to fire now in <paramref name="executionGroup"/>; a job already there
    /// (the actor is scheduled or running) is left alone. Returns whether it scheduled one.
    /// </summary>
    public static async Task<bool> EnsureJob<T>(IScheduler scheduler, string jobGroup, string name, string id, string executionGroup,
        TimeSpan? repeat = null, CancellationToken ct = default) where T : IJob
    {
        var key = new JobKey(name, jobGroup);
        var job = JobBuilder.Create<T>().WithIdentity(key).UsingJobData("id", id).RequestRecovery().Build();
        var tb = TriggerBuilder.Create().WithIdentity(name, jobGroup).ForJob(key).StartNow().WithExecutionGroup(executionGroup);
        if (executionGroup == ControlGroup) tb = tb.WithPriority(10);
        if (repeat is { } every)
            tb = tb.WithSimpleSchedule(s => s.WithInterval(every).RepeatForever());
        try
        {
            await scheduler.ScheduleJob(job, tb.Build(), default, ct);
            return true;
        }
        catch (ObjectAlreadyExistsException) { return false; }
    }
}
