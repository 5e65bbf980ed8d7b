/** A modal question before anything that cannot be taken back: focus stays inside, Esc cancels. */
import { useEffect, useRef, type ReactNode } from 'react';

export function ConfirmDialog(props: {
  title: string;
  children: ReactNode;
  confirmLabel: string;
  onConfirm(): void;
  onCancel(): void;
  danger?: boolean;
  testId?: string;
}) {
  const ref = useRef<HTMLDivElement>(null);
  const cancelRef = useRef<HTMLButtonElement>(null);
  const before = useRef<Element | null>(null);
  useEffect(() => {
    before.current = document.activeElement;
    // The safe answer has the focus: Enter on a dialog that was opened by mistake does nothing harmful.
    cancelRef.current?.focus();
    return () => {
      if (before.current instanceof HTMLElement) before.current.focus();
    };
  }, []);
  const onKeyDown = (e: React.KeyboardEvent) => {
    if (e.key === 'Escape') {
      e.preventDefault();
      props.onCancel();
      return;
    }
    if (e.key !== 'Tab' || !ref.current) return;
    const items = [...ref.current.querySelectorAll<HTMLElement>('button, input, select, a[href], [tabindex="0"]')].filter(
      (el) => !el.hasAttribute('disabled'),
    );
    if (items.length === 0) return;
    const first = items[0]!;
    const last = items[items.length - 1]!;
    if (e.shiftKey && document.activeElement === first) {
      e.preventDefault();
      last.focus();
    } else if (!e.shiftKey && document.activeElement === last) {
      e.preventDefault();
      first.focus();
    }
  };
  return (
    <div className="modal-backdrop">
      <div
        ref={ref}
        className="modal"
        role="alertdialog"
        aria-modal="true"
        aria-labelledby="confirm-title"
        aria-describedby="confirm-body"
        onKeyDown={onKeyDown}
        data-testid={props.testId ?? 'confirm-dialog'}
      >
        <h2 id="confirm-title">{props.title}</h2>
        <div id="confirm-body">{props.children}</div>
        <div className="form-actions">
          <button type="button" ref={cancelRef} onClick={props.onCancel} data-testid="confirm-cancel">
            Cancel
          </button>
          <button
            type="button"
            className={props.danger ? 'danger' : 'primary'}
            onClick={props.onConfirm}
            data-testid="confirm-ok"
          >
            {props.confirmLabel}
          </button>
        </div>
      </div>
    </div>
  );
}
