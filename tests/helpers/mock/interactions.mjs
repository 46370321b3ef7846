// The Interactions API (POST /v1beta/interactions, GET /v1beta/interactions/{id}), as much of
// it as a proxy must carry: an interaction is stored (store defaults to true) in the project
// of the key that made it, and any other project is told it does not exist, whether it asks
// for it by id or continues from it (previous_interaction_id). A streamed one (stream: true in
// the body, or ?stream=true on GET) is server-sent events, each with its event name, then
// "data: [DONE]". The answer echoes the input with the turn's depth, so a test can see which
// conversation a turn continued.
import { randomBytes } from 'node:crypto';
import { GeminiError, invalidArgument } from './errors.mjs';
import { findModel } from './models.mjs';

const notFound = () => new GeminiError(404, 'NOT_FOUND', 'Requested entity was not found.');

function inputText(input) {
  if (typeof input === 'string') return input;
  if (Array.isArray(input)) {
    return input
      .flatMap((turn) => (typeof turn === 'string' ? [turn] : (turn?.content ?? [turn])))
      .map((c) => (typeof c === 'string' ? c : (c?.text ?? '')))
      .join(' ');
  }
  return '';
}

const eventFrame = (name, data) => `event: ${name}\ndata: ${JSON.stringify({ event_type: name, ...data })}\n\n`;

function stream(interaction) {
  const { steps, usage, ...head } = interaction;
  const text = steps[0].content[0].text;
  return (
    eventFrame('interaction.created', { interaction: { ...head, status: 'in_progress' } }) +
    eventFrame('step.start', { index: 0, step: { type: 'model_output' } }) +
    eventFrame('step.delta', { index: 0, delta: { type: 'text', text } }) +
    eventFrame('step.stop', { index: 0 }) +
    eventFrame('interaction.completed', { interaction: { ...head, usage } }) +
    'data: [DONE]\n\n'
  );
}

const answer = (interaction, streamed) =>
  streamed ? { text: stream(interaction), headers: { 'content-type': 'text/event-stream' } } : { json: interaction };

export function createInteraction({ req, body, state }) {
  const b = body();
  const model = findModel(b.model);
  if (!model || !model.methods.includes('generateContent')) throw notFound();
  let depth = 1;
  if (b.previous_interaction_id !== undefined) {
    const previous = state.interactions.get(b.previous_interaction_id);
    if (!previous || previous.key !== req.key) throw notFound();
    depth = previous.depth + 1;
  }
  const text = inputText(b.input);
  if (!text) throw invalidArgument('input is required.');
  const now = new Date().toISOString();
  const interaction = {
    id: `v1_${randomBytes(12).toString('base64url')}`,
    object: 'interaction',
    model: model.id,
    status: 'completed',
    created: now,
    updated: now,
    role: 'model',
    steps: [{ type: 'model_output', content: [{ type: 'text', text: `Turn ${depth}: ${text}` }] }],
    usage: { total_input_tokens: text.length, total_output_tokens: 4, total_tokens: text.length + 4 },
  };
  if (b.store !== false) state.interactions.set(interaction.id, { key: req.key, depth, interaction });
  return answer(interaction, b.stream === true);
}

export function getInteraction({ req, state }) {
  const id = /^\/[^/]+\/interactions\/([^/:]+)$/.exec(req.path)?.[1];
  const stored = state.interactions.get(id);
  if (!stored || stored.key !== req.key) throw notFound();
  return answer(stored.interaction, req.query.get('stream') === 'true');
}
