namespace DrLlm.Cluster.Grains;

/// <summary>
/// A unit of a sweep's work that needs a base model and runs on a silo that hosts it: a search tree, a training run,
/// an evaluation. Its durable state is its row in PostgreSQL (the grain checkpoints into it, fenced by the row's
/// attempt counter); the grain itself is only where the work runs now, so a call after its silo died re-activates it
/// on a survivor, where it resumes from the row.
/// </summary>
public interface IWorkGrain : IGrainWithStringKey
{
    /// <summary>Starts or resumes the work unless it is running in this activation or has ended; returns at once (the
    /// work runs off the Orleans scheduler, so the grain keeps answering).</summary>
    Task Start();

    /// <summary>What this activation is doing now.</summary>
    Task<WorkProgress> Progress();

    /// <summary>Stops running work at its next checkpoint without writing further (the sweep marked it cancelled).</summary>
    Task Cancel();
}

/// <summary>The SearchTree grain (experiment + example): the example's MCTS, checkpointed every few simulations.</summary>
public interface ISearchTreeGrain : IWorkGrain;

/// <summary>The TrainingJob grain (experiment): routers trained on the finished trees' labels, saved every epoch.</summary>
public interface ITrainingJobGrain : IWorkGrain;

/// <summary>The Evaluation grain (experiment + benchmark): baseline vs routed per example, one stored row each.</summary>
public interface IEvaluationGrain : IWorkGrain;

/// <summary>A work grain's answer to <see cref="IWorkGrain.Progress"/>.</summary>
/// <param name="Running">whether this activation's work is running (or waiting for a slot of its model host)</param>
/// <param name="Node">the silo (node id) of this activation</param>
/// <param name="Step">simulations (tree), epochs (training) or examples (evaluation) done in this activation so far</param>
[GenerateSerializer]
public sealed record WorkProgress(string Key, bool Running, string Node, int Step, string? LastError);
