using System.CommandLine;
using DrLlm.Cli.Commands;

var root = new RootCommand("drllm: Dr.LLM dynamic layer routing (engine, search, routers, cluster)");
EngineCommands.Add(root);
TextCommands.Add(root);
BenchCommands.Add(root);
TaskCommands.Add(root);
EvalCommands.Add(root);
PretrainCommands.Add(root);
SearchCommands.Add(root);
RouterCommands.Add(root);
ClusterCommands.Add(root);
DashboardCommands.Add(root);
return root.Parse(args).Invoke();
