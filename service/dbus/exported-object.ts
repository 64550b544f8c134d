// Serves one object on a bus from an InterfaceDescription: dispatches method calls by name and
// signature, answers Introspect with the XML's own argument names, and emits signals.
// dbus-next's Interface class would name arguments arg_0 and leak stack traces, so we dispatch here.

import dbus from 'dbus-next';
import type { InterfaceDescription } from './interface-description.js';
import { DBusErrorName, ServiceError } from './errors.js';
import { runCall, sendAfterReply } from './reply-order.js';
import type { SignalAudience } from './signal-audience.js';

const { Message } = dbus;
type MessageBus = dbus.MessageBus;
type DBusMessage = dbus.Message;

const METHOD_CALL = 1;
/** What jamid (and every D-Bus service) answers for a member it does not have. */
const UNKNOWN_METHOD = 'org.freedesktop.DBus.Error.UnknownMethod';

export type MethodImplementation = (args: unknown[], caller: string) => unknown;

export interface ExportLogger {
  error(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

/** Decides whether a caller (unique bus name) may call methods. Returns a refusal message or undefined. */
export type CallerCheck = (sender: string) => Promise<string | undefined>;

const STANDARD_INTERFACES = `  <interface name="org.freedesktop.DBus.Introspectable">
    <method name="Introspect"><arg name="xml_data" type="s" direction="out"/></method>
  </interface>
  <interface name="org.freedesktop.DBus.Peer">
    <method name="Ping"/>
    <method name="GetMachineId"><arg name="machine_uuid" type="s" direction="out"/></method>
  </interface>
`;

const DOCTYPE = `<!DOCTYPE node PUBLIC "-//freedesktop//DTD D-BUS Object Introspection 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/introspect.dtd">
`;

/** Every object exported on a bus: a parent path's introspection lists all their children. */
const exportedOn = new WeakMap<MessageBus, Set<ExportedObject>>();

export class ExportedObject {
  private readonly handler: (msg: DBusMessage) => boolean;

  constructor(
    private readonly bus: MessageBus,
    readonly path: string,
    private readonly description: InterfaceDescription,
    private readonly methods: Record<string, MethodImplementation>,
    private readonly logger: ExportLogger,
    private readonly checkCaller?: CallerCheck,
    /** Set on buses other users can reach: signals go unicast to the clients it admitted. */
    private readonly audience?: SignalAudience,
  ) {
    for (const name of description.methods.keys()) {
      if (!methods[name]) throw new Error(`no implementation for ${description.name}.${name}`);
    }
    this.handler = (msg) => this.handle(msg);
    bus.addMethodHandler(this.handler);
    if (!exportedOn.has(bus)) exportedOn.set(bus, new Set());
    exportedOn.get(bus)!.add(this);
  }

  close(): void {
    this.bus.removeMethodHandler(this.handler);
    exportedOn.get(this.bus)?.delete(this);
  }

  emitSignal(name: string, ...body: unknown[]): void {
    const signal = this.description.signals.get(name);
    if (!signal) throw new Error(`unknown signal ${name}`);
    const audience = this.audience;
    if (audience === undefined) {
      const message = Message.newSignal(this.path, this.description.name, name, signal.signature, body);
      sendAfterReply(() => this.bus.send(message));
      return;
    }
    sendAfterReply(() => {
      for (const destination of audience.recipients()) {
        const message = Message.newSignal(this.path, this.description.name, name, signal.signature, body);
        message.destination = destination;
        this.bus.send(message);
      }
    });
  }

  /** Introspection XML for this object, or for a parent path of the objects exported on this bus. */
  introspect(path: string): string | undefined {
    if (path === this.path) {
      return `${DOCTYPE}<node>\n${STANDARD_INTERFACES}  ${this.description.xml}\n</node>\n`;
    }
    const prefix = path === '/' ? '/' : `${path}/`;
    const paths = [...(exportedOn.get(this.bus) ?? [this])].map((object) => object.path);
    if (paths.includes(path)) return undefined; // that object answers for itself
    const children = [...new Set(paths.filter((p) => p.startsWith(prefix)).map((p) => p.slice(prefix.length).split('/')[0]))];
    if (children.length === 0) return undefined;
    const nodes = children.map((child) => `  <node name="${child}"/>\n`).join('');
    return `${DOCTYPE}<node>\n${STANDARD_INTERFACES}${nodes}</node>\n`;
  }

  private handle(msg: DBusMessage): boolean {
    if (msg.type !== METHOD_CALL || !msg.path) return false;
    // Any call (an introspection too) makes a client of our user one that hears our signals.
    if (this.audience !== undefined && msg.path === this.path) void this.audience.admit(msg.sender ?? undefined).catch(() => undefined);
    if (msg.interface === 'org.freedesktop.DBus.Introspectable' && msg.member === 'Introspect') {
      const xml = this.introspect(msg.path);
      if (xml === undefined) return false;
      this.bus.send(Message.newMethodReturn(msg, 's', [xml]));
      return true;
    }
    if (msg.path !== this.path) return false;
    // A call without an interface field names the member only (allowed by the D-Bus spec).
    if (msg.interface && msg.interface !== this.description.name) return false;
    const member = msg.member ? this.description.methods.get(msg.member) : undefined;
    if (!member) {
      if (!msg.interface) return false;
      this.bus.send(Message.newError(msg as never, UNKNOWN_METHOD, `no method ${msg.member} on ${this.description.name}`));
      return true;
    }
    const signature = msg.signature ?? '';
    if (signature !== member.inSignature) {
      const expected = member.inArgs.map((arg) => `${arg.type} ${arg.name}`).join(', ');
      this.reply(
        msg,
        new ServiceError(DBusErrorName.InvalidArgument, `${member.name} takes (${expected}), got signature '${signature}'`),
      );
      return true;
    }
    void this.dispatch(msg, member.name, member.outSignature);
    return true;
  }

  private dispatch(msg: DBusMessage, name: string, outSignature: string): Promise<void> {
    return runCall(
      async () => {
        if (this.checkCaller) {
          const refusal = await this.checkCaller(msg.sender ?? '');
          if (refusal) throw new ServiceError(DBusErrorName.AccessDenied, refusal);
          // Admitted before the method runs, so it hears the signals its own call causes.
          await this.audience?.admit(msg.sender ?? undefined);
        }
        return this.methods[name](msg.body ?? [], msg.sender ?? '');
      },
      (outcome) => {
        if ('error' in outcome) this.reply(msg, outcome.error);
        else this.bus.send(Message.newMethodReturn(msg, outSignature, outSignature === '' ? [] : [outcome.value]));
      },
    );
  }

  private reply(msg: DBusMessage, error: unknown): void {
    if (error instanceof ServiceError) {
      this.logger.debug({ method: msg.member, error: error.dbusName, reason: error.message }, 'call refused');
      this.bus.send(Message.newError(msg as never, error.dbusName, error.message));
      return;
    }
    this.logger.error({ method: msg.member, err: error }, 'method failed');
    this.bus.send(Message.newError(msg as never, DBusErrorName.Failed, `${msg.member} failed: internal error`));
  }
}
