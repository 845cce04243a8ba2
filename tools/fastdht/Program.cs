using FastDht.Tools.Shell;

var parse = ShellCommands.Build().Parse(args);
if (parse.Errors.Count > 0)
{
    // One line and a distinct exit code, so a script can tell a typo from a missing key (exit 1). An unknown word is
    // the problem to name (the parser also reports every token after it, and a missing command besides).
    var problem = parse.UnmatchedTokens.Count > 0 ? $"unknown command or argument '{parse.UnmatchedTokens[0]}'" : parse.Errors[0].Message;
    await Console.Error.WriteLineAsync($"fastdht: {problem} (see fastdht --help)").ConfigureAwait(false);
    return ShellCommands.Failure;
}
return await parse.InvokeAsync().ConfigureAwait(false);
