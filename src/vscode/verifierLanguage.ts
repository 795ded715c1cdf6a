// JavaScript language features inside the fenced `verifier` block, by request forwarding (VS
// Code's embedded-language pattern): a virtual .js document holds the block's code at the same
// lines and columns, everything else blanked, and completion, hover and signature help at a
// position in the block are asked of the JavaScript features on that document.
import * as vscode from "vscode";
import { inVerifierBlock } from "../core/example";
import { documentOf, EXAMPLE_SELECTOR, isExample } from "./exampleDocs";

const SCHEME = "oneshot-verifier-js";

/** The virtual document of an example: same path with `.js` appended, the example's URI in the query. */
export function virtualUri(doc: vscode.TextDocument): vscode.Uri {
  return vscode.Uri.from({ scheme: SCHEME, path: `${doc.uri.path}.js`, query: doc.uri.toString() });
}

export function blockOnlyText(doc: vscode.TextDocument): string {
  const file = documentOf(doc);
  const lines: string[] = [];
  for (let i = 0; i < doc.lineCount; i++) lines.push(inVerifierBlock(file, i) ? doc.lineAt(i).text : "");
  return lines.join("\n");
}

export function registerVerifierLanguage(): vscode.Disposable {
  const changed = new vscode.EventEmitter<vscode.Uri>();
  const content: vscode.TextDocumentContentProvider = {
    onDidChange: changed.event,
    provideTextDocumentContent: async (uri) => {
      const source = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.query);
      return source ? blockOnlyText(source) : "";
    },
  };
  const inBlock = (doc: vscode.TextDocument, pos: vscode.Position) => inVerifierBlock(documentOf(doc), pos.line);

  return vscode.Disposable.from(
    changed,
    vscode.workspace.registerTextDocumentContentProvider(SCHEME, content),
    vscode.workspace.onDidChangeTextDocument((e) => isExample(e.document) && changed.fire(virtualUri(e.document))),
    vscode.languages.registerCompletionItemProvider(
      EXAMPLE_SELECTOR,
      {
        provideCompletionItems: async (doc, pos, _token, context) => {
          if (!inBlock(doc, pos)) return undefined;
          return vscode.commands.executeCommand<vscode.CompletionList>(
            "vscode.executeCompletionItemProvider",
            virtualUri(doc),
            pos,
            context.triggerCharacter,
          );
        },
      },
      ".",
    ),
    vscode.languages.registerHoverProvider(EXAMPLE_SELECTOR, {
      provideHover: async (doc, pos) => {
        if (!inBlock(doc, pos)) return undefined;
        const hovers = await vscode.commands.executeCommand<vscode.Hover[]>("vscode.executeHoverProvider", virtualUri(doc), pos);
        return hovers?.[0];
      },
    }),
    vscode.languages.registerSignatureHelpProvider(
      EXAMPLE_SELECTOR,
      {
        provideSignatureHelp: async (doc, pos, _token, context) => {
          if (!inBlock(doc, pos)) return undefined;
          return vscode.commands.executeCommand<vscode.SignatureHelp>(
            "vscode.executeSignatureHelpProvider",
            virtualUri(doc),
            pos,
            context.triggerCharacter,
          );
        },
      },
      "(",
      ",",
    ),
  );
}
