// The dashboard runs inside the drllm CLI, which parses the options and checks them (src/DrLlm.Cli, DashboardCommands):
// `./drllm dashboard --db CONNSTR`. This entry point only exists because an executable web project is what makes the
// SDK collect the dashboard's static web assets (the csproj says why).
Console.Error.WriteLine("run the dashboard with: ./drllm dashboard --db CONNSTR [--urls http://127.0.0.1:5080] [--token T]");
return 2;
